// The data layer's parsers, without a chain: events from log lines (only this program's, the
// IDL's names and fields), program errors from logs and codes, checked account decoding, and
// the structural FHIR check. Runs in a second:  node --test web/app/test/chain-unit.test.mjs

import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadDataLayer } from './harness.mjs';

const PROGRAM = 'G9Jkzq9sQzYPEJBLhcUCsFhSfwCgQjJdtZVwPUKHYykJ';
const OTHER = '11111111111111111111111111111111';
let chain;

/** `Program data:` of the IDL event `name` with `body`. */
function dataLine(name, body) {
  const event = chain.IDL_EVENTS.find((e) => e.name === name);
  return `Program data: ${Buffer.from([...event.discriminator, ...body]).toString('base64')}`;
}

/** A PartialRejected body: request, cluster, index, authority, faults. */
function partialRejected(index, faults) {
  const faultBytes = new Uint8Array(4);
  new DataView(faultBytes.buffer).setUint32(0, faults, true);
  return [...new Uint8Array(32).fill(1), ...new Uint8Array(32).fill(2), index, ...new Uint8Array(32).fill(3), ...faultBytes];
}

describe('data layer parsers', () => {
  before(async () => {
    chain = await loadDataLayer();
  });

  test('events are decoded from this program\'s data lines only, fields as text', () => {
    const ours = dataLine('PartialRejected', partialRejected(4, 2));
    const logs = [
      `Program ${PROGRAM} invoke [1]`,
      `Program ${OTHER} invoke [2]`,
      ours, // logged by the other program: not ours
      `Program ${OTHER} success`,
      'Program log: Program 11111111111111111111111111111111 success', // a program's own text moves nothing
      ours,
      `Program ${PROGRAM} success`,
      ours, // after our program returned
    ];
    const { events, problems, truncated } = chain.eventsFromLogs(logs, PROGRAM);
    assert.deepEqual(problems, []);
    assert.equal(truncated, false);
    assert.equal(events.length, 1);
    assert.equal(events[0].name, 'PartialRejected');
    assert.deepEqual(events[0].fields, {
      request: '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi',
      cluster: '8qbHbw2BbbTHBW1sbeqakYXVKRQM8Ne7pLK7m6CVfeR',
      index: '4',
      authority: 'CktRuQ2mttgRGkXJtyksdKHjUdc2C4TgDzyB98oEzy8',
      faults: '2',
    });
  });

  test('a malformed or unknown event is a problem, not a crash; a truncated log is flagged', () => {
    const logs = [
      `Program ${PROGRAM} invoke [1]`,
      dataLine('PartialRejected', partialRejected(1, 0).slice(0, 50)),
      'Program data: AAAAAAAAAAAA',
      'Program data: !!!',
      'Log truncated',
    ];
    const { events, problems, truncated } = chain.eventsFromLogs(logs, PROGRAM);
    assert.equal(events.length, 0);
    assert.equal(problems.length, 3);
    assert.match(problems[0], /PartialRejected has a malformed body/);
    assert.match(problems[1], /unknown event discriminator/);
    assert.match(problems[2], /not valid base64/);
    assert.equal(truncated, true);
  });

  test('program errors are named from the AnchorError line, or by the IDL from a bare code', () => {
    const anchor = chain.programErrorFromLogs(
      [
        `Program ${PROGRAM} invoke [1]`,
        'Program log: AnchorError occurred. Error Code: RecipientNotRegistered. Error Number: 6042. Error Message: the recipient has not registered an encryption key.',
        `Program ${PROGRAM} failed: custom program error: 0x179a`,
      ],
      PROGRAM,
    );
    assert.ok(anchor instanceof chain.ProgramError);
    assert.deepEqual([anchor.errorName, anchor.code, anchor.message], ['RecipientNotRegistered', 6042, 'the recipient has not registered an encryption key']);
    const first = chain.IDL_ERRORS[0];
    const bare = chain.programErrorFromLogs([`Program ${PROGRAM} failed: custom program error: 0x${first.code.toString(16)}`], PROGRAM);
    assert.deepEqual([bare.errorName, bare.code, bare.message], [first.name, first.code, first.message]);
    assert.equal(chain.programErrorFromLogs([`Program ${OTHER} failed: custom program error: 0x1770`], PROGRAM), undefined, "another program's code is not ours to name");
    const unknown = chain.programErrorFromLogs([`Program ${PROGRAM} failed: custom program error: 0x2710`], PROGRAM);
    assert.equal(unknown.errorName, 'CustomError10000');
  });

  test('an account of the wrong size or type is refused by name', () => {
    const size = chain.RECORD.size;
    assert.throws(() => chain.decodeChecked(chain.RECORD, 'Acc1', new Uint8Array(size - 1)), (e) => e.kind === 'AccountDecode' && /Acc1 is not a Record: \d+ bytes/.test(e.message));
    assert.throws(() => chain.decodeChecked(chain.RECORD, 'Acc2', new Uint8Array(size)), (e) => e.kind === 'AccountDecode' && /Acc2 is not a Record \(another account type/.test(e.message));
    const data = new Uint8Array(size);
    data.set(chain.RECORD.discriminator);
    data[8 + 64] = 7; // record_id
    assert.equal(chain.decodeChecked(chain.RECORD, 'Acc3', data).recordId, 7n);
  });

  test('validateFhir refuses what is not JSON, too large, or not UTF-8, by name', () => {
    const validate = (bytes) => () => chain.validateFhir(bytes);
    assert.throws(validate(new Uint8Array([0xff, 0xfe])), (e) => e.kind === 'NotFhir' && /not UTF-8/.test(e.message));
    assert.throws(validate(new Uint8Array((16 << 20) + 1)), (e) => e.kind === 'NotFhir' && /16777217 bytes of JSON is more than FHIR validation reads/.test(e.message));
    assert.throws(validate(new TextEncoder().encode('{"resourceType":"Bundle","entry":[]}')), (e) => e.kind === 'NotFhir' && /Bundle\.type: a Bundle needs its type/.test(e.message));
    assert.throws(validate(new TextEncoder().encode('{"resourceType":"Patient","id":"a b"}')), (e) => e.kind === 'NotFhir' && /Patient\.id: invalid value "a b"/.test(e.message));
    const patient = chain.validateFhir(new TextEncoder().encode('{"resourceType":"Patient","id":"p1","name":[{"text":"Ada L."}],"gender":"female"}'));
    assert.deepEqual(patient, { resourceType: 'Patient', entries: [{ resourceType: 'Patient', id: 'p1', summary: 'Ada L.' }] });
  });
});
