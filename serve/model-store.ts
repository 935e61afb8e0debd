/**
 * The loaded production versions: the server's only state. A refresh reads every model's
 * production alias in one query and loads the versions that changed (bytes checked against their
 * sha256 by loadModelVersion); the new version replaces the old with one Map.set, and a request
 * takes its entry once, so no request ever mixes two versions. Refreshes run one at a time: a
 * notification during a refresh queues exactly one more.
 */
import type { Counter, Histogram } from 'prom-client';
import { loadModelVersion } from '../registry/versions.ts';
import type { LinearModel } from '../ml/softmax-regression.ts';
import type { Db } from '../registry/pool.ts';
import { PRODUCTION } from '../registry/promotions.ts';
import type { ServeMetrics } from './metrics.ts';

export interface ServedVersion {
  versionId: number;
  version: number;
  /** `String(version)`, as responses carry it. */
  versionText: string;
  sha256: string;
  labels: string[];
  model: LinearModel;
  loadedAt: Date;
  /** prom-client children bound to this model and version, resolved once per load (hot path). */
  predictionCounters: Counter.Internal[];
  latency: Histogram.Internal<'model' | 'version'>;
  batchSize: Histogram.Internal<'model' | 'version'>;
}

export interface ModelEntry {
  name: string;
  modelId: number;
  /** null: the model has no production version (requests get 503). */
  served: ServedVersion | null;
  /** The last load failure, while the previous version (if any) keeps serving. */
  loadError: string | null;
}

interface AliasRow {
  id: string;
  name: string;
  version_id: string | null;
}

export type Log = (line: string) => void;

export class ModelStore {
  private readonly entries = new Map<string, ModelEntry>();
  private running: Promise<void> | null = null;
  private again = false;
  private initialised = false;

  constructor(
    private readonly db: Db,
    private readonly metrics: ServeMetrics,
    private readonly log: Log,
    private readonly only: string | null = null,
  ) {}

  get(name: string): ModelEntry | undefined {
    return this.entries.get(name);
  }

  list(): ModelEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** True once the first refresh has loaded every production version it found. */
  get ready(): boolean {
    return this.initialised;
  }

  /** The model `/invocations` serves: --model, else the only model there is. */
  defaultModel(): ModelEntry | undefined {
    if (this.only) return this.entries.get(this.only);
    return this.entries.size === 1 ? [...this.entries.values()][0] : undefined;
  }

  /**
   * Brings every entry up to date with the registry. Concurrent calls share the running refresh
   * and queue one more, so a notification arriving mid-refresh is never lost.
   */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.refreshOnce();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  private async refreshOnce(): Promise<void> {
    const started = performance.now();
    const { rows } = await this.db.query<AliasRow>(
      `SELECT m.id, m.name, a.version_id FROM models m
       LEFT JOIN aliases a ON a.model_id = m.id AND a.alias = $1
       WHERE ($2::text IS NULL OR m.name = $2)`,
      [PRODUCTION, this.only],
    );
    let failures = 0;
    for (const row of rows) {
      const versionId = row.version_id === null ? null : Number(row.version_id);
      const entry = this.entries.get(row.name) ?? { name: row.name, modelId: Number(row.id), served: null, loadError: null };
      if (!this.entries.has(row.name)) this.entries.set(row.name, entry);
      if (versionId === null || versionId === entry.served?.versionId) continue;
      try {
        const served = await this.load(row.name, versionId);
        const previous = entry.served;
        // The swap: one assignment of a fully built object.
        this.entries.set(row.name, { ...entry, served, loadError: null });
        this.metrics.servedVersion.labels(row.name).set(served.version);
        const kind = this.initialised ? 'reload' : 'initial';
        this.metrics.modelLoads.labels(row.name, served.versionText, kind).inc();
        const seconds = (performance.now() - started) / 1000;
        if (this.initialised) this.metrics.reloadSeconds.labels(row.name).observe(seconds);
        this.log(
          previous
            ? `model ${row.name}: now serving v${served.version} (was v${previous.version}); loaded and verified in ${(seconds * 1000).toFixed(0)} ms`
            : `model ${row.name}: serving v${served.version}`,
        );
      } catch (err) {
        failures++;
        const message = (err as Error).message;
        this.entries.set(row.name, { ...entry, loadError: message });
        this.metrics.modelLoadFailures.labels(row.name).inc();
        this.log(
          `model ${row.name}: cannot load production version id ${versionId}: ${message}${entry.served ? `; still serving v${entry.served.version}` : ''}`,
        );
      }
    }
    if (failures === 0) this.initialised = true;
  }

  private async load(name: string, versionId: number): Promise<ServedVersion> {
    const { rows } = await this.db.query<{ version: number; sha256: string }>('SELECT version, sha256 FROM model_versions WHERE id = $1', [
      versionId,
    ]);
    if (!rows[0]) throw new Error(`model version id ${versionId} does not exist`);
    // Decodes the bytes and checks them against the recorded sha256 (ModelCorrupted otherwise).
    const model = await loadModelVersion(this.db, versionId);
    const versionText = String(rows[0].version);
    return {
      versionId,
      version: rows[0].version,
      versionText,
      sha256: rows[0].sha256,
      labels: model.labels,
      model,
      loadedAt: new Date(),
      predictionCounters: model.labels.map((label) => this.metrics.predictions.labels(name, versionText, label)),
      latency: this.metrics.predictionLatency.labels(name, versionText),
      batchSize: this.metrics.batchSize.labels(name, versionText),
    };
  }
}
