/**
 * An instant's calendar day (YYYY-MM-DD) in the reader's own time zone, '—' for none: a card
 * activated at 01:00 in Beijing is that day's, not the UTC day before (what slicing the ISO string
 * gave).
 */
export function localDay(iso: string | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
}
