import { CONTROL } from '../mapping/cells.js';
import type { CellIssue, ColumnSet, MappedRow } from '../mapping/columns.js';
import { quoteValue } from '../util/quote-value.js';

/** The outcome of validating one row on its own. */
export interface RowVerdict {
  /** Why the row cannot be sent; empty when it can. */
  reasons: string[];
  /** Things worth a look that do not stop the row. */
  warnings: string[];
}

const EMAIL = /^[^\s@"<>(),;:\\[\]]+@[^\s@"<>(),;:\\[\].]+(\.[^\s@"<>(),;:\\[\].]+)+$/;
const PIN = /^\d{4,6}$/;

const quote = (value: string): string => quoteValue(value);

function describeIssue(set: ColumnSet, issue: CellIssue): string {
  const header = set.headers[issue.column] ?? '?';
  const from = issue.attribute ? ` (from ${issue.attribute})` : '';
  switch (issue.kind) {
    case 'invalid-utf8':
      return `${header}${from} is not valid UTF-8 text: ${quote(issue.raw)}; fix the value in the directory`;
    case 'phone':
      return `${header} ${quote(issue.raw)}${from} is not a phone number`;
    case 'guid':
      return `${header}${from} is not a GUID (16 bytes or xxxxxxxx-xxxx-… text): ${quote(issue.raw)}`;
    case 'sid':
      return `${header}${from} is not a SID: ${quote(issue.raw)}`;
    case 'refused':
      return `${header}${from} ${issue.raw}; fix the value in the directory`;
    case 'emptied':
      return `${header}${from} ${issue.raw}; left empty (fix the value in the directory)`;
    case 'changed':
    case 'noted':
      return `${header}${from} ${issue.raw}`;
  }
}

/**
 * Check one mapped row against the vendor's rules. Pure.
 * @param set the compiled layout (profile rules and column roles)
 * @param row the mapped row
 */
export function validateRow(set: ColumnSet, row: MappedRow): RowVerdict {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const cell = (index: number | undefined): string => (index === undefined ? '' : (row.cells[index] ?? ''));
  const { roles } = set;

  for (const issue of row.issues) {
    if (issue.kind === 'phone') continue; // decided below: blank with a warning, or reject
    const text = describeIssue(set, issue);
    if (issue.kind === 'emptied' || issue.kind === 'changed' || issue.kind === 'noted') warnings.push(text);
    else reasons.push(text);
  }

  for (let i = 0; i < row.cells.length; i++) {
    const value = row.cells[i] ?? '';
    const column = set.columns[i];
    if (!column || value === '') {
      if (column?.required) reasons.push(`${column.header} is required but empty`);
      continue;
    }
    const header = column.header;
    const control = CONTROL.exec(value);
    if (control) {
      const code = (control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      reasons.push(
        `${header} contains a control character (U+${code}) in ${quote(value)}; fix the value in the directory`,
      );
    } else if (!value.isWellFormed()) {
      reasons.push(
        `${header} contains an unpaired surrogate (not valid Unicode); fix the value in the directory`,
      );
    }
  }

  for (const role of ['firstName', 'lastName'] as const) {
    const index = roles[role];
    if (index !== undefined && cell(index) === '')
      reasons.push(`${set.headers[index] ?? role} is required but empty`);
  }

  const emailIndex = roles.email;
  const email = cell(emailIndex);
  // An email a cell rule refused already has its reason.
  const refused = row.issues.some((i) => i.kind === 'refused' && i.column === emailIndex);
  if (email !== '' && !refused && !EMAIL.test(email)) {
    reasons.push(`${set.headers[emailIndex ?? 0] ?? 'Email'} ${quote(email)} is not a valid email address`);
  }
  const pin = cell(roles.pin);
  if (pin !== '' && !PIN.test(pin)) reasons.push(`PIN ${quote(pin)} must be 4 to 6 digits`);

  const phoneIssues = row.issues.length === 0 ? [] : row.issues.filter((i) => i.kind === 'phone');
  const sms = cell(roles.smsPhone);
  const emailHeader = emailIndex === undefined ? 'Email' : (set.headers[emailIndex] ?? 'Email');
  if (set.rules.reach === 'email-or-sms' && email === '' && sms === '') {
    const smsIssue = phoneIssues.find((i) => i.column === roles.smsPhone);
    reasons.push(
      smsIssue
        ? `${describeIssue(set, smsIssue)} and there is no ${emailHeader}: no way to reach the contact`
        : `no ${emailHeader} and no SMS Phone: the contact needs one of them`,
    );
  } else if (set.rules.reach === 'email' && email === '') {
    reasons.push(`${emailHeader} is required but empty (the vendor matches contacts by email)`);
  }
  for (const issue of phoneIssues) {
    const decisive =
      set.rules.reach === 'email-or-sms' && email === '' && sms === '' && issue.column === roles.smsPhone;
    if (!decisive) warnings.push(`${describeIssue(set, issue)}; left empty`);
  }
  return { reasons, warnings };
}
