// Which container a command acts on: `ACCOUNT/CONTAINER` (split at the FIRST slash, so a
// container name may itself hold slashes) or `--cid CID`. Names may hold any UTF-8.
import { cidFromName, isCid } from '../oio/cid.js';
import type { ContainerRef } from '../oio/types.js';
import { UsageError } from './usage-error.js';

export function containerTarget(command: string, positionals: readonly string[], cid: string | undefined): ContainerRef {
  if (cid !== undefined) {
    if (positionals.length > 0) throw new UsageError(`give either ACCOUNT/CONTAINER or --cid, not both`, command);
    if (!isCid(cid)) throw new UsageError(`--cid: ${JSON.stringify(cid)} is not a CID (64 hexadecimal characters)`, command);
    return { cid: cid.toUpperCase() };
  }
  if (positionals.length === 0) throw new UsageError(`missing ACCOUNT/CONTAINER (or --cid CID)`, command);
  if (positionals.length > 1) throw new UsageError(`expected one ACCOUNT/CONTAINER, got ${positionals.length} arguments: ${positionals.map((p) => JSON.stringify(p)).join(' ')}`, command);
  return parseContainerName(command, positionals[0]!);
}

export function parseContainerName(command: string, name: string): ContainerRef & { account: string; container: string } {
  const slash = name.indexOf('/');
  if (slash <= 0 || slash === name.length - 1) {
    throw new UsageError(`${JSON.stringify(name)} is not ACCOUNT/CONTAINER (both parts must be non-empty)`, command);
  }
  const account = name.slice(0, slash);
  const container = name.slice(slash + 1);
  return { account, container, cid: cidFromName(account, container) };
}
