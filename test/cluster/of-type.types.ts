/**
 * A type test, checked by `tsc` in `npm test`: it stops compiling if `ofType` stops narrowing.
 * Nothing here runs.
 */
import type { Observable } from 'rxjs';
import { ofType } from '../../src/cluster/of-type.js';
import type { ShardDispatchEvent } from '../../src/shard/types.js';

declare const dispatch$: Observable<ShardDispatchEvent>;

export const narrowed = dispatch$.pipe(ofType('MESSAGE_CREATE')).subscribe(({ d, t, shardId }) => {
  const content: string = d.content;
  const author: string = d.author.id;
  const name: 'MESSAGE_CREATE' = t;
  return [content, author, name, shardId];
});

export const union = dispatch$.pipe(ofType('GUILD_CREATE', 'GUILD_DELETE')).subscribe(({ d, t }) => {
  const id: string = d.id;
  // @ts-expect-error `t` is one of the two names only
  const wrong: 'MESSAGE_CREATE' = t;
  return [id, wrong];
});

// @ts-expect-error not a dispatch name
export const misspelt = dispatch$.pipe(ofType('MESSAGE_CRATE'));

// @ts-expect-error `d` of MESSAGE_CREATE has no `member_count`
export const wrongField = dispatch$.pipe(ofType('MESSAGE_CREATE')).subscribe(({ d }) => d.member_count);
