import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePath, resolveAll, resolveOne } from './fieldpath.js';

const rec = {
  eventName: 'RunTask',
  userIdentity: { type: 'AssumedRole', sessionContext: { attributes: { mfaAuthenticated: 'false' } } },
  requestParameters: {
    containerDefinitions: [{ command: ['sh', '-c', 'curl x'] }, { command: ['echo'] }],
    layers: ['arn:1', 'arn:2'],
  },
  resources: [{ ARN: 'a1', type: 'T' }, { ARN: 'a2' }],
  empty: null,
};

test('parsePath handles $. prefix, dots and indexes', () => {
  assert.deepEqual(parsePath('$.objectList[1].id'), ['objectList', 1, 'id']);
  assert.deepEqual(parsePath('a.b.c'), ['a', 'b', 'c']);
  assert.deepEqual(parsePath('$.coordinates[0][1]'), ['coordinates', 0, 1]);
});

test('resolveAll expands arrays of objects on the way', () => {
  assert.deepEqual(resolveAll(rec, 'resources.ARN'), ['a1', 'a2']);
  assert.deepEqual(resolveAll(rec, 'resources.type'), ['T']);
  assert.deepEqual(resolveAll(rec, 'requestParameters.containerDefinitions.command'), [['sh', '-c', 'curl x'], ['echo']]);
  assert.deepEqual(resolveAll(rec, 'userIdentity.sessionContext.attributes.mfaAuthenticated'), ['false']);
  assert.deepEqual(resolveAll(rec, 'nope.deeper'), []);
  assert.deepEqual(resolveAll(rec, 'empty'), [null]);
});

test('resolveOne follows explicit indexes only', () => {
  assert.equal(resolveOne(rec, '$.resources[1].ARN'), 'a2');
  assert.equal(resolveOne(rec, 'resources.ARN'), undefined);
  assert.equal(resolveOne(rec, '$.requestParameters.layers[5]'), undefined);
  assert.equal(resolveOne(rec, 'eventName'), 'RunTask');
});
