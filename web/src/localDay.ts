/**
 * An instant's calendar day (YYYY-MM-DD) in the reader's own time zone, `none` ('—') for none: a
 * card activated at 01:00 in Beijing is that day's, not the UTC day before (what slicing the ISO
 * string gave), and a listing's term ending at 00:30 ends that day.
 */
export function localDay(iso: string | null, none = '—'): string {
  if (!iso) return none;
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}
