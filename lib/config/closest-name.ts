/**
 * "Did you mean" suggestions for misspelt names: config keys, enum values, target and profile
 * names. One rule everywhere, so a typo gets the same help whatever it misspells.
 */

/**
 * Edit distance between two strings counting insertions, deletions, substitutions and swaps of
 * two adjacent characters as one edit each (optimal string alignment distance), so `base_ur`,
 * `bsae_url` and `base_urll` are all one edit from `base_url`.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * The candidate closest to `word`, or `undefined` when none is close enough to be a likely typo.
 * Case is ignored; a candidate qualifies within one edit per three characters of the longer
 * string (at least one edit). Ties go to the earlier candidate, so list the likeliest first.
 */
export function closestName(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = editDistance(lower, candidate.toLowerCase());
    const allowed = Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3));
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * ` (did you mean "x"?)` when `word` looks like a typo of one of `candidates`, otherwise `''`.
 * Ready to append to an error reason.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const guess = closestName(word, candidates);
  return guess === undefined ? '' : ` (did you mean "${guess}"?)`;
}

/** `"a", "b", "c"`: names quoted and joined, for "expected one of" lists. */
export function quoteList(names: Iterable<string>): string {
  return [...names].map((n) => `"${n}"`).join(', ');
}
