/** Temporal's duration strings ('30 days', '6h', '90s'), as the schedules and timers read them. */
import { msToNumber } from '@temporalio/common';

/** Whether `value` is a positive duration Temporal reads. */
export const isDuration = (value: string): boolean => {
  try {
    return msToNumber(value as Parameters<typeof msToNumber>[0]) > 0;
  } catch {
    return false;
  }
};
