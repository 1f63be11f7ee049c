// The part of the MongoDB cluster the stand-in cannot play, for tests/deploy/test_mongo_init.py.
//
// The fake `docker compose exec` of that test runs the real mongosh against the stand-in
// with this file loaded before deploy/mongo/init.js. Documents, indexes, counts and the
// config.collections lookup go to the stand-in unchanged; only the replica-set, user,
// authentication and sharding commands (which the stand-in answers with CommandNotFound)
// are answered here, from a JSON model of the cluster (FAKE_MONGO_STATE), with the rules
// init.js has to respect: initiate before anything else, the first user only through the
// localhost exception on the primary, authentication for everything after that, seeds that
// match the replica set members.
/* global db, Mongo */
const fs = require("fs");

const statePath = process.env.FAKE_MONGO_STATE;
const standinUri = process.env.FAKE_STANDIN_URI;
const loadState = () => JSON.parse(fs.readFileSync(statePath, "utf8"));
const saveState = (s) => fs.writeFileSync(statePath, JSON.stringify(s, null, 1));

const DatabaseProto = Object.getPrototypeOf(db);
const standinRunCommand = DatabaseProto.runCommand;
const StandinMongo = Mongo;

const err = (code, codeName, errmsg) => ({ok: 0, code, codeName, errmsg});
const UNAUTHORIZED = err(13, "Unauthorized", "command requires authentication");

function rsOf(state, ctx) {
  const name = ctx.kind === "mongos" ? "configrs" : ctx.rs;
  return {name, rs: state.rs[name]};
}

function primaryOf(state, rs) {
  if (!rs.initialized || state.no_primary) return undefined;
  return rs.members[state.primary_index || 0];
}

function hostOf(state, svc) {
  return `${svc}:${state.services[svc].port}`;
}

function contextOf(database) {
  const conn = database.getMongo();
  if (!conn.fakeContext) {
    // the shell's own connection: the service `docker compose exec` went into
    const svc = process.env.FAKE_NODE;
    const node = loadState().services[svc];
    conn.fakeContext = {svc, kind: node.kind, rs: node.rs, user: null, local: true};
  }
  return conn.fakeContext;
}

function checkPassword(state, ctx, user, password) {
  const {rs} = rsOf(state, ctx);
  if (ctx.kind === "mongos" && !state.rs.configrs.initialized) {
    throw new Error("could not reach the config servers");
  }
  if (!rs.users[user] || rs.users[user].pwd !== password) throw new Error("Authentication failed.");
}

DatabaseProto.auth = function (user, password) {
  const ctx = contextOf(this);
  checkPassword(loadState(), ctx, user, password);
  ctx.user = user;
  return {ok: 1};
};

// new Mongo("mongodb://user:pw@h1,h2,h3/admin?replicaSet=rs&authSource=admin"): the primary
// of rs, authenticated, played by the stand-in.
globalThis.Mongo = function (uri) {
  const m = /^mongodb:\/\/([^:@]+):([^@]+)@([^/]+)\/admin\?replicaSet=([^&]+)&authSource=admin$/.exec(uri);
  if (!m) throw new Error(`fake: unexpected connection string ${uri}`);
  const [user, password, hosts, rsName] = [decodeURIComponent(m[1]), decodeURIComponent(m[2]), m[3], m[4]];
  const state = loadState();
  const rs = state.rs[rsName];
  if (!rs || hosts !== rs.members.map((s) => hostOf(state, s)).join(",")) {
    throw new Error(`fake: seed ${hosts} does not match the members of ${rsName}`);
  }
  const primary = primaryOf(state, rs);
  if (!primary) throw new Error(`MongoServerSelectionError: no primary in ${rsName}`);
  const ctx = {svc: primary, kind: state.services[primary].kind, rs: rsName, user: null, local: false};
  checkPassword(state, ctx, user, password);
  ctx.user = user;
  const conn = new StandinMongo(standinUri);
  conn.fakeContext = ctx;
  return conn;
};

function hello(state, ctx) {
  if (ctx.kind === "mongos") return {ok: 1, msg: "isdbgrid"};
  const {name, rs} = rsOf(state, ctx);
  const primary = primaryOf(state, rs);
  const r = {ok: 1, isreplicaset: !rs.initialized};
  if (rs.initialized) r.setName = name;
  if (primary) r.primary = hostOf(state, primary);
  return r;
}

function replSetInitiate(state, ctx, cfg) {
  const {name, rs} = rsOf(state, ctx);
  if (rs.initialized) return err(23, "AlreadyInitialized", "already initialized");
  if (cfg._id !== name) return err(93, "InvalidReplicaSetConfig", `name ${cfg._id} != ${name}`);
  if ((cfg.configsvr === true) !== (ctx.kind === "configsvr")) {
    return err(93, "InvalidReplicaSetConfig", "configsvr flag does not match --configsvr");
  }
  const want = rs.members.map((s) => hostOf(state, s));
  const hosts = cfg.members.map((m) => m.host);
  if (hosts.join(",") !== want.join(",")) return err(93, "InvalidReplicaSetConfig", `members ${hosts}`);
  Object.assign(rs, {initialized: true, config: cfg});
  state.mutations.push(`initiate ${name}`);
  return {ok: 1};
}

function createUser(state, ctx, cmd) {
  const {name, rs} = rsOf(state, ctx);
  if (!rs.initialized) return err(94, "NotYetInitialized", "no replica set config");
  if (ctx.svc !== primaryOf(state, rs)) return err(10107, "NotWritablePrimary", "not primary");
  const first = Object.keys(rs.users).length === 0;
  if (!ctx.user && !(first && ctx.local)) return UNAUTHORIZED;
  if (rs.users[cmd.createUser]) return err(51003, "Location51003", `User "${cmd.createUser}" already exists`);
  rs.users[cmd.createUser] = {pwd: cmd.pwd, roles: cmd.roles};
  state.mutations.push(`${ctx.user ? "create-user" : "create-admin"} ${name} ${cmd.createUser}`);
  return {ok: 1};
}

function addShard(state, seed) {
  const [name, hosts] = seed.split("/");
  const rs = state.rs[name];
  if (!rs || hosts !== rs.members.map((s) => hostOf(state, s)).join(",")) {
    return err(96, "OperationFailed", `seed ${seed}`);
  }
  if (!rs.initialized) return err(96, "OperationFailed", `${name} is not initiated`);
  if (state.shards.includes(name)) return err(11000, "DuplicateKey", `shard ${name} exists`);
  state.shards.push(name);
  state.mutations.push(`add-shard ${name}`);
  return {ok: 1, shardAdded: name};
}

function shardCollection(state, database, cmd) {
  if (state.shards.length === 0) return err(70, "ShardNotFound", "no shards");
  const [dbName, collName] = cmd.shardCollection.split(".");
  if (!state.sharding_enabled.includes(dbName)) return err(20, "IllegalOperation", "enableSharding first");
  const coll = database.getSiblingDB(dbName).getCollection(collName);
  const indexed = coll.getIndexes().some((i) => JSON.stringify(i.key) === JSON.stringify(cmd.key));
  if (!indexed) return err(72, "InvalidOptions", `no index on ${JSON.stringify(cmd.key)}`);
  database.getSiblingDB("config").getCollection("collections").insertOne({_id: cmd.shardCollection, key: cmd.key});
  state.mutations.push(`shard-collection ${cmd.shardCollection}`);
  return {ok: 1};
}

// $collStats per shard: the stand-in's real count, split across the shards like a hashed key.
function collStats(state, database, cmd) {
  const total = database.getCollection(cmd.aggregate).countDocuments({});
  const shards = [...state.shards].sort();
  const firstBatch = shards.map((shard, i) => ({
    shard, count: Math.floor(total / shards.length) + (i < total % shards.length ? 1 : 0),
  }));
  return {ok: 1, cursor: {id: 0, ns: `${database.getName()}.${cmd.aggregate}`, firstBatch}};
}

function replSetGetStatus(state, ctx) {
  const {rs} = rsOf(state, ctx);
  const primary = primaryOf(state, rs);
  const members = rs.members.map((s) => ({
    name: hostOf(state, s), stateStr: s === primary ? "PRIMARY" : "SECONDARY",
  }));
  return {ok: 1, members};
}

const ROUTER_ONLY = new Set(["listShards", "addShard", "enableSharding", "shardCollection"]);

function fakeCommand(state, database, ctx, cmd) {
  const name = Object.keys(cmd)[0];
  if (name === "hello") return hello(state, ctx);
  if (name === "replSetInitiate") return ctx.local ? replSetInitiate(state, ctx, cmd.replSetInitiate) : UNAUTHORIZED;
  if (name === "createUser") return createUser(state, ctx, cmd);
  if (!ctx.user) return UNAUTHORIZED;
  if (ROUTER_ONLY.has(name) && ctx.kind !== "mongos") return err(59, "CommandNotFound", `${name} on a mongod`);
  switch (name) {
    case "usersInfo": return {ok: 1, users: rsOf(state, ctx).rs.users[cmd.usersInfo] ? [{user: cmd.usersInfo}] : []};
    case "replSetGetStatus": return replSetGetStatus(state, ctx);
    case "listShards": return {ok: 1, shards: state.shards.map((s) => ({_id: s}))};
    case "addShard": return addShard(state, cmd.addShard);
    case "enableSharding":
      if (!state.sharding_enabled.includes(cmd.enableSharding)) state.sharding_enabled.push(cmd.enableSharding);
      return {ok: 1};
    case "shardCollection": return shardCollection(state, database, cmd);
    case "aggregate": return collStats(state, database, cmd);
    default: return undefined;
  }
}

DatabaseProto.runCommand = function (cmd, options) {
  const isCollStats = cmd.aggregate && (cmd.pipeline || []).some((s) => s.$collStats);
  if (!isCollStats && !["hello", "replSetInitiate", "createUser", "usersInfo", "replSetGetStatus",
    ...ROUTER_ONLY].includes(Object.keys(cmd)[0])) {
    return standinRunCommand.call(this, cmd, options);
  }
  const state = loadState();
  const r = fakeCommand(state, this, contextOf(this), cmd);
  saveState(state);
  return r;
};
