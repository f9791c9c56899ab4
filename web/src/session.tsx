import { createContext, useContext } from 'react';
import type { Session } from './api.ts';

export interface SessionState {
  session: Session;
  signOut(): Promise<void>;
}

export const SessionContext = createContext<SessionState | null>(null);

/** The signed-in user; only inside the shell, which renders after the session is known. */
export function useSession(): SessionState {
  const ctx = useContext(SessionContext);
  if (!ctx) throw new Error('useSession outside the signed-in shell');
  return ctx;
}
