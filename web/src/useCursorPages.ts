import { useEffect, useState } from 'react';

/** A list page as the API pages it: items and the cursor of the next page (null: the last). */
export interface CursorPage<T> {
  items: T[];
  next: string | null;
}

/**
 * The rows of a cursor-paged list with "show more": starts from `first` (again whenever it
 * changes: new filters or a reload), appends each further page, never the same row twice.
 */
export function useCursorPages<T extends { id: string }>(
  first: CursorPage<T>,
  load: (after: string) => Promise<CursorPage<T>>,
) {
  const [items, setItems] = useState(first.items);
  const [next, setNext] = useState(first.next);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    setItems(first.items);
    setNext(first.next);
    setError(null);
  }, [first]);

  async function more() {
    if (!next) return;
    setBusy(true);
    setError(null);
    try {
      const page = await load(next);
      setItems((prev) => [...prev, ...page.items.filter((x) => !prev.some((p) => p.id === x.id))]);
      setNext(page.next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return { items, next, busy, error, more };
}
