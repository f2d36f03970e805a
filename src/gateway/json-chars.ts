/** Character codes and classes the envelope readers (dispatch-head.ts, dispatch-data.ts) scan JSON text with, without parsing it. */

/** `"` */
export const QUOTE = 0x22;
/** `\` */
export const BACKSLASH = 0x5c;
/** `:` */
export const COLON = 0x3a;
/** `,` */
export const COMMA = 0x2c;
/** `{` */
export const OPEN = 0x7b;
/** `}` */
export const CLOSE = 0x7d;

/** JSON's white space: space, line feed, carriage return, tab. */
export const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** An ASCII digit. */
export const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
