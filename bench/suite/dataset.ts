/**
 * A labelled text set of the benchmark suite: where it comes from (a registry package, never a
 * download at run time) and how to load it. Every set is split the same way: every fifth row held out.
 */
import type { LabelledText } from '../../ml/labelled-data.ts';

export interface SuiteDataset {
  /** Short name printed in the tables. */
  name: string;
  /** The package that ships the data (npm, PyPI or Debian) and what the rows and labels are. */
  source: string;
  /** All rows in a fixed order; throws a message naming the package to install when it is missing. */
  load: () => LabelledText[];
}

export interface Split {
  train: LabelledText[];
  test: LabelledText[];
}

/** Every fifth row (index 4, 9, 14, ...) is held out for testing; the rest train. */
export function holdOutEveryFifth<T>(rows: readonly T[]): { train: T[]; test: T[] } {
  const train: T[] = [];
  const test: T[] = [];
  rows.forEach((row, i) => ((i + 1) % 5 === 0 ? test : train).push(row));
  return { train, test };
}

/** Thrown by a loader whose package is not installed, naming the install command. */
export class MissingDatasetError extends Error {
  constructor(what: string, install: string) {
    super(`${what} is not installed (${install})`);
    this.name = 'MissingDatasetError';
  }
}
