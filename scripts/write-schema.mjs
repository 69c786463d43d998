// Regenerates schema/adsync.schema.json from the zod schema (run `npm run schema`).
import { writeFileSync } from 'node:fs';

import { buildJsonSchema } from '../dist/config/json-schema.js';

const target = new URL('../schema/adsync.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(buildJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
