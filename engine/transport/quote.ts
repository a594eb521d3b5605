/** Quotes one word for POSIX sh. The only way commands are built from values. */
export function quote(word: string | number): string {
  const s = String(word);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Joins words into one shell command, each quoted. */
export function shellJoin(words: Array<string | number>): string {
  return words.map(quote).join(' ');
}

/** A tagged template that quotes every interpolated value: sh`cat ${path}`. */
export function sh(strings: TemplateStringsArray, ...values: Array<string | number | Array<string | number>>): string {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += Array.isArray(v) ? shellJoin(v) : quote(v);
    out += strings[i + 1] ?? '';
  });
  return out;
}
