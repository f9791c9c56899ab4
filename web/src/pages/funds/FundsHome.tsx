import { Redirect } from '../../Redirect.tsx';
import { useSession } from '../../session.tsx';

/** `/funds`: a bank's operators land on their inbox, the centre's staff on the cases. */
export function FundsHome() {
  const { session } = useSession();
  return <Redirect to={session.organisation.kind === 'bank' ? '/funds/inbox' : '/funds/cases'} />;
}
