import {
  Control,
  ControlParser,
  PagedResultsControl,
  type BerWriter,
  type Client,
  type SearchResult,
} from 'ldapts';

import { DirectoryError } from '../../errors.js';

/**
 * Paged searches (RFC 2696) driven by adsync page by page, instead of ldapts's searchPaginated.
 *
 * Why: ldapts 9.2 follows the server's cookie only after a page that held entries or references
 * (`Client._sendSearch`). A server may answer a page with nothing and a cookie (Active Directory
 * does when a page runs out of time): the search is not over, but searchPaginated ends there
 * without an error, and a directory read 900 of 920 people would archive 20 of them.
 *
 * How, with ldapts's public API and nothing patched in node_modules: each page is one
 * `client.search` carrying {@link PageRequest}, our own control with the paged-results OID
 * (ldapts refuses its PagedResultsControl there, and search() drops the response's controls).
 * The server's answer is handed to the request control that asked for it by a wrapper around
 * `ControlParser.parse` (public and typed), which ldapts calls with the request's own controls
 * for every control of the response. The wrapper returns what ldapts would have returned, so
 * nothing else in ldapts sees a difference. It depends on how ldapts parses response controls,
 * so package.json pins ldapts to the exact release this was written and tested against
 * (test/integration/short-reads.test.ts fails if an update takes the answer away).
 */

/** One page's request control: our cookie out, the server's answer in. */
class PageRequest extends Control {
  /** The server's paged-results answer to this request, set while its response is parsed. */
  public answer: { size: number; cookie: Buffer } | undefined;

  /**
   * @param size entries per page asked for
   * @param cookie the server's cookie from the page before (empty for the first page)
   */
  public constructor(
    private readonly size: number,
    private readonly cookie: Buffer,
  ) {
    super(PagedResultsControl.type);
  }

  /** realSearchControlValue ::= SEQUENCE { size INTEGER, cookie OCTET STRING } */
  protected override writeControl(writer: BerWriter): void {
    // Reuse ldapts's encoder: only our class may travel in search(), its bytes are the same.
    new PagedResultsControl({ value: { size: this.size, cookie: this.cookie } }).writeControl(writer);
  }
}

let hooked = false;

/** Route each paged-results response control to the {@link PageRequest} of its request (once). */
function hookResponses(): void {
  if (hooked) return;
  hooked = true;
  const parse = ControlParser.parse.bind(ControlParser);
  ControlParser.parse = (reader, requestControls) => {
    const control = parse(reader, requestControls);
    if (control instanceof PagedResultsControl) {
      for (const request of requestControls) {
        if (request instanceof PageRequest)
          request.answer = {
            size: control.value?.size ?? 0,
            cookie: control.value?.cookie ?? Buffer.alloc(0),
          };
      }
    }
    return control;
  };
}

/** What one paged search asks for. */
export interface PagedSearchOptions {
  /** Search base. */
  base: string;
  /** Scope. */
  scope: 'base' | 'one' | 'sub';
  /** Complete filter. */
  filter: string;
  /** Attributes to return. */
  attributes: readonly string[];
  /** Attributes to return as bytes. */
  bufferAttributes: readonly string[];
  /** Entries per page. */
  pageSize: number;
  /** `location "x": search of <base> on <url>`, the start of an error's message. */
  where: string;
}

/** The first thing a page held (entry DN or reference), to tell a replayed page from a new one. */
const firstOf = (page: SearchResult): string | undefined =>
  page.searchEntries[0]?.dn ?? page.searchReferences[0];

/**
 * The pages of one search, in order, until the server's cookie is empty: a page with no entries
 * and a cookie is followed like any other. The next page is asked for as soon as a page has
 * arrived (the server prepares it while this one is used); at most one page is in flight.
 * @param client a bound client
 * @param options base, scope, filter, attributes, page size and where, for messages
 * @throws {DirectoryError} LDAP_SERVER_BUG when the server answers the cookie it was sent for a page
 *   that brought nothing new: asked again, it would answer the same, forever
 */
export async function* pagedSearch(
  client: Client,
  options: PagedSearchOptions,
): AsyncGenerator<SearchResult> {
  hookResponses();
  const ask = async (cookie: Buffer): Promise<{ page: SearchResult; next: Buffer }> => {
    const control = new PageRequest(options.pageSize, cookie);
    const page = await client.search(
      options.base,
      {
        scope: options.scope,
        filter: options.filter,
        attributes: [...options.attributes],
        explicitBufferAttributes: [...options.bufferAttributes],
      },
      control,
    );
    // No answer: the server does not page (the control is not critical) and sent everything.
    return { page, next: control.answer?.cookie ?? Buffer.alloc(0) };
  };
  let sent: Buffer = Buffer.alloc(0);
  let before: string | undefined;
  let pending = ask(sent);
  for (let number = 1; ; number++) {
    const { page, next } = await pending;
    const first = firstOf(page);
    if (next.length > 0) {
      if (next.equals(sent) && (first === undefined || first === before))
        throw repeatedCookie(options.where, number, first === undefined);
      sent = next;
      before = first;
      pending = ask(next);
      // Its failure is thrown when it is awaited, on the next turn of the loop.
      pending.catch(() => undefined);
    }
    yield page;
    if (next.length === 0) return;
  }
}

function repeatedCookie(where: string, page: number, empty: boolean): DirectoryError {
  return new DirectoryError(
    'LDAP_SERVER_BUG',
    `${where} failed: the server answered page ${page} with the same paging cookie it was sent, and ${
      empty ? 'no entries' : 'the same entries as the page before'
    }: it makes no progress (a paging bug of the server or of a proxy in front of it, RFC 2696)`,
    {
      hint: 'Nothing was written. Search the directory server itself rather than a proxy or virtual directory, or have its paged-results support fixed; another directory.pageSize may avoid it.',
    },
  );
}
