// Home: what MedShare does, the encryption key (unlock, registered or not, register) and the
// wallet address as a QR code, for a doctor to show a patient.

import { useEffect, useState } from 'preact/hooks';
import { renderSVG } from 'uqr';
import type { KeyStatus } from '../chain/medshare';
import { useAction, useSession } from './session';

export function Home() {
  const { connection } = useSession();
  return (
    <>
      <h2 tabIndex={-1}>Home</h2>
      <p class="lead">
        Keep your medical records on Solana, encrypted in this page, and share one with a doctor for as long as you choose. No single server ever holds your
        record's key.
      </p>
      {connection ? (
        <div class="cards">
          <EncryptionKey />
          <MyAddress address={connection.account.address} />
        </div>
      ) : (
        <section aria-labelledby="start-heading" class="card">
          <h3 id="start-heading">Start</h3>
          <p>
            Connect the Solana wallet you already use with <strong>Connect wallet</strong> at the top of the page. It signs; your keys never leave
            it.
          </p>
        </section>
      )}
    </>
  );
}

function EncryptionKey() {
  const session = useSession();
  const { medshare, connection, key } = session;
  const [status, setStatus] = useState<KeyStatus | null>(null);
  const unlock = useAction();
  const register = useAction();
  const address = connection!.account.address;

  // what the chain says, shown once the key is unlocked (then "matches" can be told too)
  useEffect(() => {
    setStatus(null);
    if (!key) return;
    let current = true;
    medshare.keyStatus(address, key).then(
      (found) => current && setStatus(found),
      (error) => current && session.fail(error),
    );
    return () => {
      current = false;
    };
  }, [medshare, address, key]);

  const onUnlock = () =>
    unlock.run(async () => {
      await session.ensureKey();
    });
  const onRegister = () =>
    register.run(async () => {
      const unlocked = await session.ensureKey();
      session.announce('Registering your encryption key: approve the transaction in your wallet…');
      const signature = await medshare.registerKey(connection!.signer, unlocked);
      setStatus(await medshare.keyStatus(address, unlocked));
      session.announce(`Your encryption key is on chain now (transaction ${signature})`);
    });

  return (
    <section aria-labelledby="key-heading" class="card">
      <h3 id="key-heading">Encryption key</h3>
      <p>
        Your wallet signs a MedShare message twice; the key that opens your records is derived from those signatures, in this page, for{' '}
        <code>{medshare.keyDomain}</code>. The same wallet gives the same key in the <code>medshare</code> command line.
      </p>
      {!key ? (
        <button type="button" onClick={onUnlock} disabled={unlock.busy}>
          {unlock.busy ? 'Waiting for the wallet…' : 'Unlock encryption key'}
        </button>
      ) : status === null ? (
        <p>Loading…</p>
      ) : (
        <>
          <p class="key-state">
            <span class={status.registered ? 'badge ready' : 'badge waiting'}>{status.registered ? 'Registered' : 'Not registered'}</span>
          </p>
          {status.registered && status.matchesWallet === false && (
            <p class="warning">
              The key registered for this wallet is not the one this page derives (another key domain or key index registered it): records shared to
              the registered key open where that key was derived.
            </p>
          )}
          {status.publicKey && (
            <p class="small">
              Public key <code class="address">{status.publicKey}</code>
            </p>
          )}
          {!status.registered && (
            <button type="button" onClick={onRegister} disabled={register.busy}>
              {register.busy ? 'Registering…' : 'Register encryption key'}
            </button>
          )}
        </>
      )}
    </section>
  );
}

function MyAddress({ address }: { address: string }) {
  const { announce, fail } = useSession();
  const [shown, setShown] = useState(false);
  const qr = shown ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(renderSVG(address, { ecc: 'M', border: 2 }))}` : '';
  async function copy() {
    try {
      await navigator.clipboard.writeText(address);
      announce('Address copied');
    } catch (error) {
      fail(error);
    }
  }
  return (
    <section aria-labelledby="address-heading" class="card">
      <h3 id="address-heading">My address</h3>
      <p>Show it to a patient who shares a record with you: they paste it or scan it.</p>
      {!shown ? (
        <button type="button" class="secondary" onClick={() => setShown(true)}>
          Show my address
        </button>
      ) : (
        <div class="qr">
          <img src={qr} alt="QR code of my address" width={220} height={220} />
          <p class="address">{address}</p>
          <button type="button" class="secondary" onClick={copy}>
            Copy address
          </button>
        </div>
      )}
    </section>
  );
}
