import type { ExecutionContext } from 'ava';
import { TestScheduler } from 'rxjs/testing';

/** A TestScheduler whose assertions go through ava's deepEqual; it is also the scheduler to inject. */
export const virtualTime = (t: ExecutionContext): TestScheduler => new TestScheduler((actual, expected) => t.deepEqual(actual, expected));
