/**
 * A generated company directory for the benchmark: N inetOrgPerson entries spread over the OUs
 * of two locations, with realistic attributes (names with accents and non-Latin scripts, emails,
 * national and international phone numbers, titles with commas, departments, employee numbers)
 * and a small share of the problems real directories have (a missing first name, an unreadable
 * phone number). Deterministic: the same size always gives the same bytes.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { seededRandom } from '../../test/harness/random.ts';

/** Suffix of the benchmark directory. */
export const BENCH_SUFFIX = 'dc=bench,dc=example';
/** The service account adsync and ldapsearch bind as. */
export const BENCH_BIND_DN = `cn=adsync,ou=services,${BENCH_SUFFIX}`;
/** Its password. */
export const BENCH_BIND_PASSWORD = 'bench-password-1';

/** Locations and their OUs: people are spread over the OUs round-robin. */
export const BENCH_LOCATIONS: readonly { slug: string; ous: readonly string[] }[] = [
  {
    slug: 'toronto',
    ous: ['engineering', 'sales', 'operations'].map((ou) => `ou=${ou},ou=toronto,ou=people,${BENCH_SUFFIX}`),
  },
  {
    slug: 'london',
    ous: ['engineering', 'support'].map((ou) => `ou=${ou},ou=london,ou=people,${BENCH_SUFFIX}`),
  },
];

const FIRST = [
  'Ada',
  'Alan',
  'Grace',
  'Linus',
  'Margaret',
  'Dennis',
  'Barbara',
  'Ken',
  'Frances',
  'Edsger',
  'Zoë',
  'José',
  'Søren',
  'Łukasz',
  'Øyvind',
  'Chloé',
  'François',
  'Renée',
  'Jürgen',
  'Ana-María',
  '小龍',
  'さくら',
  'Дмитрий',
  'Ελένη',
  'محمد',
  'Nguyễn Văn',
  'Siobhán',
  'Björn',
  'Ines',
  'Mateo',
  'Olivia',
  'Liam',
  'Emma',
  'Noah',
  'Amelia',
  'Oliver',
  'Priya',
  'Arjun',
  'Fatima',
  'Wei',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Hopper',
  'Torvalds',
  'Hamilton',
  'Ritchie',
  'Liskov',
  'Thompson',
  'Allen',
  'Dijkstra',
  'Ångström',
  'García',
  'Kierkegaard',
  'Wałęsa',
  'Østergaard',
  'Dubois',
  'Müller',
  'Lefèvre',
  "O'Brien",
  'van der Berg',
  '李',
  '佐藤',
  'Иванов',
  'Παπαδοπούλου',
  'العلي',
  'Trần',
  'Smith',
  'Jones',
  'Brown',
  'Taylor',
  'Wilson',
  'Patel',
  'Singh',
  'Chen',
  'Wang',
  'Kim',
  'Nakamura',
  'Rossi',
  'Novak',
  'Horvath',
  'Silva',
  'Santos',
  'Cohen',
  'Murphy',
  'Kowalski',
  'Johansson',
];
const TITLES = [
  'Engineer',
  'Senior Engineer',
  'Staff Engineer',
  'Account Executive',
  'Support Specialist',
  'Forklift, Lead',
  'Head of "Quality", Europe',
  'Office Manager',
  'Director of Operations',
  'Chief Analyst',
  'Receptionist',
  'Data Scientist',
  'Product Manager',
  'Technician',
];
const DEPARTMENTS = ['R&D', 'Sales', 'Support', 'Operations', 'Finance', 'People', 'Legal', 'Facilities'];

const random = seededRandom;

/** LDIF needs base64 for values that are not plain printable ASCII (RFC 2849 SAFE-STRING). */
function attr(name: string, value: string): string {
  // eslint-disable-next-line no-control-regex -- SAFE-STRING is exactly ASCII without these
  return /^[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value) &&
    !value.endsWith(' ')
    ? `${name}: ${value}\n`
    : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}\n`;
}

const ascii = (s: string): string =>
  s
    .normalize('NFKD')
    .replace(/[^A-Za-z]/g, '')
    .toLowerCase();

const pick = <T>(list: readonly T[], r: number): T => list[Math.floor(r * list.length)] as T;

const AREA_CODES = ['416', '647', '437', '905', '289', '613', '514', '438', '604', '778', '403', '587'];

/**
 * A phone number unique to `k` (the vendors reject a repeated SMS Phone in a location), written
 * the many ways directories hold them: national with punctuation, international, and London
 * numbers for the UK staff.
 * @param k a number unique to this phone
 * @param style 0..1, picks the notation
 */
function phone(k: number, style: number): string {
  const line = String(k % 10000).padStart(4, '0');
  const rest = Math.floor(k / 10000);
  if (style < 0.1) return `+44 20 7${String(rest % 1000).padStart(3, '0')} ${line}`;
  const area = AREA_CODES[rest % AREA_CODES.length] ?? '416';
  const exchange = String(200 + Math.floor(rest / AREA_CODES.length));
  if (style < 0.55) return `(${area}) ${exchange}-${line}`;
  if (style < 0.8) return `+1 ${area} ${exchange} ${line}`;
  return `${area}.${exchange}.${line}`;
}

/** The structural entries: suffix, OUs and the service account. */
function skeleton(): string {
  const parts = [
    `dn: ${BENCH_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: bench\no: Bench Corp\n`,
    `dn: ou=people,${BENCH_SUFFIX}\nobjectClass: organizationalUnit\nou: people\n`,
    `dn: ou=services,${BENCH_SUFFIX}\nobjectClass: organizationalUnit\nou: services\n`,
    `dn: ${BENCH_BIND_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: adsync\nuserPassword: ${BENCH_BIND_PASSWORD}\n`,
  ];
  for (const location of BENCH_LOCATIONS) {
    parts.push(
      `dn: ou=${location.slug},ou=people,${BENCH_SUFFIX}\nobjectClass: organizationalUnit\nou: ${location.slug}\n`,
    );
    for (const ou of location.ous) {
      const name = /^ou=([^,]+)/.exec(ou)?.[1] ?? 'x';
      parts.push(`dn: ${ou}\nobjectClass: organizationalUnit\nou: ${name}\n`);
    }
  }
  return parts.join('\n');
}

/**
 * One person. About 1 in 500 has no first name (a reject) and 1 in 400 an unreadable mobile
 * number (a warning), as in real directories.
 * @param n the person's number
 * @param base the OU it lives in
 * @param rand the PRNG
 */
function person(n: number, base: string, rand: () => number): string {
  const given = pick(FIRST, rand());
  const sn = pick(LAST, rand());
  const uid = `u${String(n).padStart(7, '0')}`;
  const local = `${ascii(given) || 'user'}.${ascii(sn) || 'person'}.${n}`;
  let out = `dn: uid=${uid},${base}\nobjectClass: inetOrgPerson\nuid: ${uid}\n`;
  out += attr('cn', `${given} ${sn}`);
  if (n % 500 !== 7) out += attr('givenName', given);
  out += attr('sn', sn);
  out += `mail: ${local}@bench.example.com\n`;
  if (rand() < 0.6) out += attr('telephoneNumber', phone(2 * n, rand()));
  if (n % 400 === 3) out += 'mobile: 12\n';
  else if (rand() < 0.8) out += attr('mobile', phone(2 * n + 1, rand()));
  out += attr('title', pick(TITLES, rand()));
  out += attr('departmentNumber', pick(DEPARTMENTS, rand()));
  out += `employeeNumber: ${100000 + n}\n`;
  return out;
}

/**
 * Write the directory as LDIF, streamed (a million entries never sit in memory at once).
 * @param path the LDIF file to create
 * @param count how many people
 */
export async function writeBenchLdif(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  const rand = random(20261121);
  const bases = BENCH_LOCATIONS.flatMap((l) => l.ous);
  let chunk = `${skeleton()}\n`;
  for (let n = 0; n < count; n++) {
    chunk += `${person(n, bases[n % bases.length] ?? '', rand)}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}
