import test from 'ava';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v10 from 'discord-api-types/v10';
import { GatewayCloseCodes, GatewayDispatchEvents, GatewayOpcodes } from '../../src/index.js';
import { sourceFiles } from '../layout/imports.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

test("the gateway enums the package exports are discord-api-types/v10's own objects", (t) => {
  t.is(GatewayOpcodes, v10.GatewayOpcodes);
  t.is(GatewayCloseCodes, v10.GatewayCloseCodes);
  t.is(GatewayDispatchEvents, v10.GatewayDispatchEvents);
});

test('outside the emulator and the @discordjs/core room, src/ takes values from discord-api-types/gateway/v10 alone (the whole v10 entry costs a cluster about 3 MiB of RSS); types may come from anywhere', (t) => {
  const valueImport = /^(?:import|export) \{[^}]*\} from 'discord-api-types\/(?!gateway\/)[^']*'/m;
  const offenders = sourceFiles(SRC)
    .filter((file) => !file.startsWith('testing/') && !file.startsWith('discordjs/'))
    .filter((file) => valueImport.test(readFileSync(resolve(SRC, file), 'utf8').replace(/^(import|export) type .*$/gm, '')));
  t.deepEqual(offenders, []);
  t.true(valueImport.test("import { GatewayOpcodes } from 'discord-api-types/v10';"), 'the check finds a value import from v10');
});
