/** modelRunSlot: held by one retraining run of a model (see runSlotWorkflowId); ends when released. */
import { condition, setHandler } from '@temporalio/workflow';
import { releaseRunSlotSignal, type RunSlotInput } from './definitions.ts';

export async function modelRunSlot(input: RunSlotInput): Promise<RunSlotInput> {
  let released = false;
  setHandler(releaseRunSlotSignal, () => {
    released = true;
  });
  await condition(() => released);
  return input;
}
