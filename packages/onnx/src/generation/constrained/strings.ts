/**
 * JSON string content byte by byte: escapes (`\n`, `\uXXXX` without lone surrogates), no raw control
 * characters, and only well-formed UTF-8 (the continuation ranges of RFC 3629), so a character split
 * across tokens is still checked.
 */

/** Inside a string: the next byte may be anything a string holds. */
export const STRING_PLAIN = 0;
const AFTER_BACKSLASH = 1;
const HEX_4 = 2;
const HEX_3 = 3;
const HEX_2 = 4;
const HEX_1 = 5;
const HEX_AFTER_D = 6;
const CONT_1 = 10;
const CONT_2 = 11;
const CONT_3 = 12;
const CONT_E0 = 13;
const CONT_ED = 14;
const CONT_F0 = 15;
const CONT_F4 = 16;

/** Bytes still needed to finish the character begun, by sub-state. */
const PENDING: Record<number, number> = {
  [STRING_PLAIN]: 0,
  [AFTER_BACKSLASH]: 1,
  [HEX_4]: 4,
  [HEX_3]: 3,
  [HEX_2]: 2,
  [HEX_1]: 1,
  [HEX_AFTER_D]: 3,
  [CONT_1]: 1,
  [CONT_2]: 2,
  [CONT_3]: 3,
  [CONT_E0]: 2,
  [CONT_ED]: 2,
  [CONT_F0]: 3,
  [CONT_F4]: 3,
};

/** Bytes that finish the character a sub-state is in the middle of (0 between characters). */
export function pendingBytes(sub: number): number {
  return PENDING[sub] ?? 0;
}

/** A character has completed (added to the `stringByte` result). */
export const CHARACTER_DONE = 0x100;

const isHex = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
const ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);

/**
 * The sub-state after `byte` (plus {@link CHARACTER_DONE} when it completes a character), or -1 when a
 * string cannot hold it. The closing `"` is the caller's (it ends the string only in {@link STRING_PLAIN}).
 * `astral`: allow characters beyond U+FFFF (4-byte UTF-8); refused where lengths count, since JSON
 * Schema counts code points and zod UTF-16 units, which then agree.
 */
export function stringByte(sub: number, byte: number, astral: boolean): number {
  const cont = byte >= 0x80 && byte <= 0xbf;
  switch (sub) {
    case STRING_PLAIN:
      if (byte < 0x20 || byte === 0x22) return -1;
      if (byte === 0x5c) return AFTER_BACKSLASH;
      if (byte < 0x80) return CHARACTER_DONE;
      if (byte >= 0xc2 && byte <= 0xdf) return CONT_1;
      if (byte === 0xe0) return CONT_E0;
      if (byte === 0xed) return CONT_ED;
      if (byte >= 0xe1 && byte <= 0xef) return CONT_2;
      if (!astral) return -1;
      if (byte === 0xf0) return CONT_F0;
      if (byte >= 0xf1 && byte <= 0xf3) return CONT_3;
      if (byte === 0xf4) return CONT_F4;
      return -1;
    case AFTER_BACKSLASH:
      if (ESCAPES.has(byte)) return CHARACTER_DONE;
      return byte === 0x75 ? HEX_4 : -1;
    case HEX_4:
      if (byte === 0x44 || byte === 0x64) return HEX_AFTER_D;
      return isHex(byte) ? HEX_3 : -1;
    case HEX_AFTER_D:
      // \uD800-\uDFFF are surrogates: a lone one is no character.
      return byte >= 0x30 && byte <= 0x37 ? HEX_2 : -1;
    case HEX_3:
      return isHex(byte) ? HEX_2 : -1;
    case HEX_2:
      return isHex(byte) ? HEX_1 : -1;
    case HEX_1:
      return isHex(byte) ? CHARACTER_DONE : -1;
    case CONT_1:
      return cont ? CHARACTER_DONE : -1;
    case CONT_2:
      return cont ? CONT_1 : -1;
    case CONT_3:
      return cont ? CONT_2 : -1;
    case CONT_E0:
      return byte >= 0xa0 && byte <= 0xbf ? CONT_1 : -1;
    case CONT_ED:
      return byte >= 0x80 && byte <= 0x9f ? CONT_1 : -1;
    case CONT_F0:
      return byte >= 0x90 && byte <= 0xbf ? CONT_2 : -1;
    case CONT_F4:
      return byte >= 0x80 && byte <= 0x8f ? CONT_2 : -1;
    default:
      return -1;
  }
}
