import type { LayoutProfile } from '../mapping/profiles.js';

/**
 * How a vendor takes its address book, and the defaults that delivery has for this vendor. Each
 * kind is one folder of src/targets; a vendor names its kind and src/targets/registry.ts finds it.
 */
export interface DeliveryChoice {
  /** The delivery: an address-book CSV uploaded over HTTPS with an OAuth2 token or an API key. */
  kind: 'csv-upload';
  /** The vendor's published upload endpoint, when it has one (`target.uploadUrl` wins). */
  uploadUrl?: string;
  /** The vendor's published token endpoint, when it has one (`target.tokenUrl` wins). */
  tokenUrl?: string;
  /**
   * Where an admin finds this vendor's upload URL, for the hint when `adsync check` finds that
   * `target.uploadUrl` does not exist (after "copy it from").
   */
  uploadUrlSource?: string;
}

/**
 * One vendor: everything adsync knows about it in one place. Its columns and rules shape the
 * mapping, validation and plan (through the compiled layout); its delivery says how the file
 * reaches it.
 */
export interface VendorProfile extends LayoutProfile {
  /** What `adsync init --help` and the docs call it. */
  title: string;
  /** How the address book reaches the vendor. */
  delivery: DeliveryChoice;
}
