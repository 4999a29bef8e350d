/**
 * mlkit's own schemas use zod/mini (the same zod 4 core as classic zod, but tree-shakable, so a
 * browser bundle carries only the schemas it uses). zod/mini installs no locale: without one every
 * issue reads "Invalid input". Classic zod installs English when it loads; so does this module when
 * no locale is set yet, so that messages are the same whichever zod an app loads.
 */

import { en } from 'zod/locales';
import * as z from 'zod/mini';

if (!z.config().localeError) z.config(en());

/**
 * `schema.safeParse(value)` for any zod 4 schema (classic or mini), with English messages: every
 * parse of mlkit's schemas goes through here, so that the locale above is installed first.
 */
export function safeParse<S extends z.core.$ZodType>(
  schema: S,
  value: unknown,
): z.core.util.SafeParseResult<z.output<S>> {
  return z.safeParse(schema, value);
}
