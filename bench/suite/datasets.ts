/** The suite's labelled sets, in the order the benchmark prints them. */
import type { SuiteDataset } from './dataset.ts';
import { firstNames } from './first-names.ts';
import { fortunes } from './fortunes.ts';
import { spamAssassin } from './spam-assassin.ts';
import { wordnetGlosses } from './wordnet-glosses.ts';

export const SUITE_DATASETS: readonly SuiteDataset[] = [spamAssassin, wordnetGlosses, fortunes, firstNames];
