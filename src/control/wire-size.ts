/**
 * The size a value takes on the channel to CONTROL, estimated without serializing it: a string
 * counts its length plus quotes, a number 8, a key its length plus 4. Close to the length of its
 * JSON for the ASCII text of gateway payloads (within a small factor otherwise), which is what a
 * queued message costs the sender.
 */

/** The estimated serialized size of `value`, bytes (plain JSON data; anything else counts 8). */
export const wireSize = (value: unknown): number => {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') bytes += item.length + 2;
    else if (typeof item !== 'object' || item === null) bytes += 8;
    else if (Array.isArray(item)) {
      bytes += 2 + item.length;
      for (let i = 0; i < item.length; i++) stack.push(item[i]);
    } else {
      bytes += 2;
      for (const key in item) {
        bytes += key.length + 4;
        stack.push((item as Record<string, unknown>)[key]);
      }
    }
  }
  return bytes;
};
