import { useEffect } from 'react';
import { navigate } from './router.ts';

/** Replaces the current address (after render, as navigation must not happen during one). */
export function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}
