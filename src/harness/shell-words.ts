/** Command lines shown to people (runbooks, error messages): quoted for a POSIX shell, so they paste as they are. */

/** Single-quotes a word when the shell would otherwise split or expand it. */
export function shellWord(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  if (/^\$[A-Z_]+$/.test(word)) return `"${word}"`; // a shell variable the reader exports
  if (/^<[\w .,-]+>$/.test(word)) return word; // a placeholder the reader fills in
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function shellLine(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}
