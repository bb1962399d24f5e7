// Wallet Standard: the wallets the browser has (Phantom, Solflare, Backpack, the E2E test
// wallet...), discovered with `getWallets()` and followed as they register; a connected
// account's `solana:signMessage` and `solana:signTransaction` wrapped as the data layer's
// `WalletSigner`. Nothing here holds a secret: the wallet signs.

import { getWallets } from '@wallet-standard/app';
import type { IdentifierString, Wallet, WalletAccount } from '@wallet-standard/base';
import {
  StandardConnect,
  type StandardConnectFeature,
  StandardDisconnect,
  type StandardDisconnectFeature,
  StandardEvents,
  type StandardEventsFeature,
} from '@wallet-standard/features';
import {
  SolanaSignMessage,
  type SolanaSignMessageFeature,
  SolanaSignTransaction,
  type SolanaSignTransactionFeature,
} from '@solana/wallet-standard-features';
import { MedShareError, type WalletSigner } from '../chain/medshare';

/** The features MedShare cannot work without. */
const REQUIRED_FEATURES = [StandardConnect, SolanaSignMessage, SolanaSignTransaction] as const;

/** A wallet that has every feature MedShare needs. */
export function isUsable(wallet: Wallet): boolean {
  return REQUIRED_FEATURES.every((feature) => feature in wallet.features);
}

/** The usable wallets now, and a subscription to changes (returns the unsubscribe). */
export function watchWallets(onChange: (wallets: Wallet[]) => void): () => void {
  const registry = getWallets();
  const publish = () => onChange(registry.get().filter(isUsable));
  publish();
  const offRegister = registry.on('register', publish);
  const offUnregister = registry.on('unregister', publish);
  return () => {
    offRegister();
    offUnregister();
  };
}

/** A connected wallet account. */
export interface Connection {
  wallet: Wallet;
  account: WalletAccount;
  signer: WalletSigner;
}

/** Asks the wallet to connect and picks its first account on `chain` (or its first account). */
export async function connect(wallet: Wallet, chain: IdentifierString): Promise<Connection> {
  const connectFeature = (wallet.features as StandardConnectFeature)[StandardConnect];
  let accounts: readonly WalletAccount[];
  try {
    ({ accounts } = await connectFeature.connect());
  } catch (error) {
    throw new MedShareError('WalletRefused', `${wallet.name} did not connect: ${messageOf(error)}`);
  }
  const account = accounts.find((candidate) => candidate.chains.includes(chain)) ?? accounts[0];
  if (!account) throw new MedShareError('NoSolanaAccount', `${wallet.name} connected but gave no account`);
  return { wallet, account, signer: signerFor(wallet, account, chain) };
}

/** Tells the wallet the app disconnects, when it supports `standard:disconnect`. */
export async function disconnect(wallet: Wallet): Promise<void> {
  const feature = (wallet.features as Partial<StandardDisconnectFeature>)[StandardDisconnect];
  if (feature) await feature.disconnect();
}

/** Follows the wallet's account changes (`standard:events`, optional); returns the unsubscribe. */
export function onAccountsChanged(wallet: Wallet, listener: (accounts: readonly WalletAccount[]) => void): () => void {
  const feature = (wallet.features as Partial<StandardEventsFeature>)[StandardEvents];
  if (!feature) return () => {};
  return feature.on('change', (properties) => {
    if (properties.accounts) listener(properties.accounts);
  });
}

/** The account's signing features as the data layer's signer. */
function signerFor(wallet: Wallet, account: WalletAccount, chain: IdentifierString): WalletSigner {
  const features = wallet.features as SolanaSignMessageFeature & SolanaSignTransactionFeature;
  return {
    address: account.address,
    async signMessage(message: Uint8Array): Promise<Uint8Array> {
      const [output] = await features[SolanaSignMessage].signMessage({ account, message });
      if (!output) throw new MedShareError('WalletRefused', `${wallet.name} returned no signature`);
      return output.signature;
    },
    async signTransaction(wireTransaction: Uint8Array): Promise<Uint8Array> {
      const [output] = await features[SolanaSignTransaction].signTransaction({ account, transaction: wireTransaction, chain });
      if (!output) throw new MedShareError('WalletRefused', `${wallet.name} returned no signed transaction`);
      return output.signedTransaction;
    },
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
