// `<state.dir>/service-health.json`: what per-service health tracks (each damaged container and
// the meta2 services holding its damaged replicas), written atomically after each sweep, each
// turn of the suspects lane and at stop, and read back at start so that
// oio_repaird_service_damaged_replicas{service} survives a restart. A file that cannot be used
// is moved aside and the gauges start at 0 (the next sweep rebuilds them): it only informs.
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { ServiceHealth, ServiceHealthSnapshot } from '../metrics/service-health.js';
import { readStateFile, writeFileAtomic, type BadStateFile } from '../sweep/state-file.js';

export const SERVICE_HEALTH_FILE = 'service-health.json';

const snapshotSchema = z.object({
  version: z.literal(1),
  damaged: z.array(z.tuple([z.string().min(1), z.array(z.string().min(1))])),
});

export class ServiceHealthFile {
  readonly path: string;
  private saving: Promise<void> = Promise.resolve();
  /** The last write failed: the next save writes even if nothing changed since. */
  private unsaved = false;

  constructor(
    stateDir: string,
    private readonly health: ServiceHealth,
    private readonly log: Logger,
    private readonly onBadFile: (bad: BadStateFile) => void = () => undefined,
  ) {
    this.path = join(stateDir, SERVICE_HEALTH_FILE);
  }

  /** Restores the saved counts, if any (call before the first probe). */
  async load(): Promise<void> {
    const parse = (text: string): ServiceHealthSnapshot => snapshotSchema.parse(JSON.parse(text)) as ServiceHealthSnapshot;
    const snapshot = await readStateFile(this.path, parse, this.log, 'per-service health', 'the per-service gauges start at 0 until the next sweep', this.onBadFile);
    if (!snapshot) return;
    this.health.restore(snapshot);
    this.health.markSaved();
    this.log.info({ damagedContainers: snapshot.damaged.length }, 'per-service health restored');
  }

  /** Writes the counts if they changed (one write at a time); a failure is logged, retried at the next save. */
  save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!this.health.dirty && !this.unsaved) return;
      const text = `${JSON.stringify(this.health.snapshot())}\n`;
      this.health.markSaved();
      try {
        await writeFileAtomic(this.path, text, this.log);
        this.unsaved = false;
      } catch (err) {
        this.unsaved = true;
        this.log.error({ err, path: this.path }, 'saving the per-service health failed: its gauges would start at 0 after a restart');
      }
    });
    return this.saving;
  }
}
