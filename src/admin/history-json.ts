/**
 * History ⇄ proto JSON (the format of `temporal workflow show --output json` and of
 * the Web UI's download, which Worker.runReplayHistory reads).
 *
 * Why not historyToJSON from @temporalio/common: npm installs separate copies of
 * protobufjs under @temporalio/common and @temporalio/proto, and common's protojson
 * then refuses proto's types ("type must be a Type"). Using protojson from the very
 * copy that @temporalio/proto loaded avoids the mismatch.
 */
import { dirname } from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

type Protojson = { toJson(type: unknown, message: unknown): unknown; fromJson(type: unknown, json: unknown, opts?: object): unknown };

const protoDir = dirname(require.resolve('@temporalio/proto/package.json'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [protoDir] })) as Protojson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJson(history: proto.temporal.api.history.v1.IHistory): string {
  return JSON.stringify(protojson.toJson(historyType, history), null, 2);
}

/** Proto JSON → History, for replay (see test/ops/admin.test.ts). */
export function historyFromJson(json: unknown): proto.temporal.api.history.v1.History {
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as proto.temporal.api.history.v1.History;
}
