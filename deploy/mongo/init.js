// Initialises the sharded MongoDB cluster of compose.yaml; run by scripts/mongo-init.sh,
// one mongosh process per step:
//
//   docker compose exec -T -e MONGO_INIT_STEP=<step> -e MONGO_INIT_PARAMS=<json> ... \
//     <service> mongosh --port <port> --quiet --norc --file /dev/stdin < deploy/mongo/init.js
//
// Why one process per step and not one run from one container: with keyFile auth and no
// users yet, the only way in is the localhost exception, so `replica-set` (rs.initiate) must
// run on a member of each set and `admin-user` (the first user) on that set's primary, each
// over its own localhost. Once the admin user exists everything else authenticates, so the
// `cluster`, `fill` and `report` steps run on mongos-1 and reach the replica set members over
// the compose network with new Mongo(uri).
//
// Steps (MONGO_INIT_STEP), each idempotent: it checks first, so a re-run changes nothing.
//   replica-set  initiate params.rs ("already initialized" is success), wait for its primary
//   admin-user   the root user, created through the localhost exception if there is no user
//   cluster      app user (config set = cluster-wide users) and monitor user (every set: the
//                exporters connect to shard members directly); addShard for each shard set
//                missing from listShards; shard <db>.<collection> on a hashed key
//   fill         upsert {name: "ly<i>", age: i} until the collection has params.count documents
//   report       documents in total and per shard, members of each set, and the results of
//                the earlier steps (MONGO_INIT_RESULTS): the summary
// Each step prints ONE JSON line: {"step": ..., ...}; on failure {"step": ..., "error": ...}
// and exit code 2. Values come from the environment (process.env), never spliced into the
// JavaScript, so passwords and names need no quoting:
//   MONGO_INIT_PARAMS  {"db", "collection", "shard_key", "count", "timeout_s", "poll_s",
//                       "config_rs": "rs/host:port,...", "shard_rs": ["rs/host:port,...", ...],
//                       "rs": "rs/host:port,..." (replica-set, admin-user)}
//   MONGO_ADMIN_USER / _PASSWORD, MONGO_APP_USER / _PASSWORD, MONGO_MONITOR_USER / _PASSWORD
/* global db, quit, sleep, Mongo */

const env = process.env;
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const SEED_RE = /^[A-Za-z_][A-Za-z0-9_-]*\/[A-Za-z0-9_.-]+:[0-9]+(,[A-Za-z0-9_.-]+:[0-9]+)*$/;
const MONITOR_ROLES = [{role: "clusterMonitor", db: "admin"}, {role: "read", db: "local"}];

class InitError extends Error {}

function fail(message) {
  throw new InitError(message);
}

function parseParams(step) {
  let p;
  try {
    p = JSON.parse(env.MONGO_INIT_PARAMS || "{}");
  } catch (e) {
    fail(`MONGO_INIT_PARAMS is not JSON: ${e.message}`);
  }
  const need = (ok, what) => ok || fail(`MONGO_INIT_PARAMS: ${what}`);
  if (["replica-set", "admin-user"].includes(step)) {
    need(SEED_RE.test(p.rs || ""), `"rs" must be "name/host:port,...", got ${JSON.stringify(p.rs)}`);
  }
  if (["cluster", "fill", "report"].includes(step)) {
    need(NAME_RE.test(p.db || ""), `invalid "db" ${JSON.stringify(p.db)}`);
    need(NAME_RE.test(p.collection || ""), `invalid "collection" ${JSON.stringify(p.collection)}`);
  }
  if (step === "fill") {
    need(Number.isInteger(p.count) && p.count > 0, `"count" must be a positive integer, got ${JSON.stringify(p.count)}`);
  }
  if (["cluster", "report"].includes(step)) {
    need(SEED_RE.test(p.config_rs || ""), `invalid "config_rs" ${JSON.stringify(p.config_rs)}`);
    need(Array.isArray(p.shard_rs) && p.shard_rs.every((s) => SEED_RE.test(s)), `invalid "shard_rs"`);
  }
  if (step === "cluster") need(NAME_RE.test(p.shard_key || ""), `invalid "shard_key"`);
  return {timeout_s: 120, poll_s: 2, ...p};
}

function secret(name) {
  return env[name] || fail(`${name} is not set`);
}

function seedParts(seed) {
  const [rs, hosts] = seed.split("/");
  return {rs, hosts: hosts.split(",")};
}

// runCommand answers {ok: 0} for a failed command; turn that into an exception with the code.
function command(database, cmd) {
  const r = database.runCommand(cmd);
  if (r.ok !== 1) {
    const e = new Error(r.errmsg || JSON.stringify(r));
    Object.assign(e, {code: r.code, codeName: r.codeName});
    throw e;
  }
  return r;
}

// The admin database of the shell's own db (a Database) or of a new Mongo connection.
const admin = (x) => (typeof x.getSiblingDB === "function" ? x.getSiblingDB("admin") : x.getDB("admin"));
const isCode = (e, code, name) => e.code === code || e.codeName === name;

// Retries fn until it returns a value other than undefined, or fails after timeout_s.
function waitFor(params, what, fn) {
  const deadline = Date.now() + params.timeout_s * 1000;
  let last = "";
  for (;;) {
    try {
      const v = fn();
      if (v !== undefined) return v;
    } catch (e) {
      if (e instanceof InitError) throw e;
      last = `: ${e.message}`;
    }
    if (Date.now() >= deadline) fail(`timed out after ${params.timeout_s}s waiting for ${what}${last}`);
    sleep(params.poll_s * 1000);
  }
}

// A connection to a replica set's primary, authenticated as user (URI-encoded: any password).
function connectRs(seed, user, password) {
  const {rs, hosts} = seedParts(seed);
  const cred = `${encodeURIComponent(user)}:${encodeURIComponent(password)}@`;
  return new Mongo(`mongodb://${cred}${hosts.join(",")}/admin?replicaSet=${rs}&authSource=admin`);
}

function authenticateLocal(user, password) {
  try {
    admin(db).auth(user, password);
  } catch (e) {
    fail(`cannot log in as '${user}' with MONGO_ADMIN_PASSWORD: ${e.message}`);
  }
}

// ------------------------------------------------------------------ steps
function replicaSetConfig(seed, configsvr) {
  const {rs, hosts} = seedParts(seed);
  // The first member is preferred as primary (priority 2) but not required.
  const members = hosts.map((host, i) => ({_id: i, host, priority: i === 0 ? 2 : 1}));
  return configsvr ? {_id: rs, configsvr: true, members} : {_id: rs, members};
}

function stepReplicaSet(params) {
  const {rs} = seedParts(params.rs);
  const hello = command(admin(db), {hello: 1});
  let initiated = false;
  if (!hello.setName) {
    if (!hello.isreplicaset) fail(`${rs}: this member is not started with --replSet (check compose.yaml)`);
    try {
      command(admin(db), {replSetInitiate: replicaSetConfig(params.rs, params.configsvr === true)});
      initiated = true;
    } catch (e) {
      // Unauthorized: users exist, so the set was initiated before.
      if (!isCode(e, 23, "AlreadyInitialized") && !isCode(e, 13, "Unauthorized")) throw e;
    }
  }
  const primary = waitFor(params, `a primary in ${rs}`, () => command(admin(db), {hello: 1}).primary);
  return {rs, initiated, primary};
}

function stepAdminUser(params) {
  const {rs} = seedParts(params.rs);
  const user = env.MONGO_ADMIN_USER || "admin";
  const password = secret("MONGO_ADMIN_PASSWORD");
  // createUser first: while the set has no user, the localhost exception allows exactly this.
  try {
    command(admin(db), {createUser: user, pwd: password, roles: [{role: "root", db: "admin"}]});
    return {rs, user, result: "created"};
  } catch (e) {
    if (!isCode(e, 13, "Unauthorized") && !isCode(e, 51003, "Location51003")) throw e;
  }
  try {
    admin(db).auth(user, password);
  } catch (e) {
    fail(`${rs} already has users but '${user}' cannot log in with MONGO_ADMIN_PASSWORD: fix .env or the user`);
  }
  return {rs, user, result: "exists"};
}

// Creates user on the set behind conn unless it exists; warns when the password differs.
function ensureUser(conn, seed, user, password, roles) {
  let result = "exists";
  if (command(admin(conn), {usersInfo: user}).users.length === 0) {
    command(admin(conn), {createUser: user, pwd: password, roles});
    result = "created";
  }
  let passwordOk = true;
  try {
    command(admin(connectRs(seed, user, password)), {ping: 1});
  } catch (e) {
    passwordOk = false;
  }
  return {user, result, password_ok: passwordOk};
}

function ensureUsers(params, adminUser, adminPassword) {
  const users = {};
  for (const seed of [params.config_rs, ...params.shard_rs]) {
    const conn = connectRs(seed, adminUser, adminPassword);
    const list = [];
    if (seed === params.config_rs) {
      const roles = [{role: "readWrite", db: params.db}, {role: "clusterMonitor", db: "admin"}];
      list.push(ensureUser(conn, seed, env.MONGO_APP_USER || "storefront", secret("MONGO_APP_PASSWORD"), roles));
    }
    list.push(ensureUser(conn, seed, env.MONGO_MONITOR_USER || "monitor", secret("MONGO_MONITOR_PASSWORD"), MONITOR_ROLES));
    users[seedParts(seed).rs] = list;
  }
  return users;
}

function ensureShards(params) {
  const existing = command(admin(db), {listShards: 1}).shards.map((s) => s._id);
  const added = [];
  for (const seed of params.shard_rs) {
    const {rs} = seedParts(seed);
    if (existing.includes(rs)) continue;
    command(admin(db), {addShard: seed, name: rs});
    added.push(rs);
  }
  return added;
}

function ensureShardedCollection(params) {
  const ns = `${params.db}.${params.collection}`;
  const found = db.getSiblingDB("config").getCollection("collections").findOne({_id: ns});
  if (found && !found.dropped) return {ns, result: "exists", key: found.key};
  const key = {[params.shard_key]: "hashed"};
  db.getSiblingDB(params.db).getCollection(params.collection).createIndex(key);
  command(admin(db), {enableSharding: params.db});
  command(admin(db), {shardCollection: ns, key});
  return {ns, result: "created", key};
}

function stepCluster(params) {
  const user = env.MONGO_ADMIN_USER || "admin";
  const password = secret("MONGO_ADMIN_PASSWORD");
  // mongos can check a password only once it reaches the config servers.
  waitFor(params, "mongos to reach the config servers", () => {
    admin(db).auth(user, password);
    return command(admin(db), {listShards: 1}).ok;
  });
  const users = ensureUsers(params, user, password);
  return {users, shards_added: ensureShards(params), collection: ensureShardedCollection(params)};
}

// Upserts filtered on the shard key (name): targeted to one shard, and a re-run never
// duplicates a document.
function stepFill(params) {
  if (env.MONGO_ADMIN_PASSWORD) authenticateLocal(env.MONGO_ADMIN_USER || "admin", env.MONGO_ADMIN_PASSWORD);
  const coll = db.getSiblingDB(params.db).getCollection(params.collection);
  const before = coll.countDocuments({});
  let upserted = 0;
  for (let start = 0; before < params.count && start < params.count; start += 1000) {
    const ops = [];
    for (let i = start; i < Math.min(params.count, start + 1000); i++) {
      const doc = {name: `ly${i}`, age: i};
      ops.push({updateOne: {filter: {name: doc.name}, update: {$setOnInsert: doc}, upsert: true}});
    }
    upserted += coll.bulkWrite(ops, {ordered: false, writeConcern: {w: "majority"}}).upsertedCount;
  }
  return {ns: `${params.db}.${params.collection}`, before, upserted, total: coll.countDocuments({})};
}

function documentsPerShard(params) {
  const r = command(db.getSiblingDB(params.db), {
    aggregate: params.collection, pipeline: [{$collStats: {count: {}}}], cursor: {},
  });
  const perShard = {};
  for (const d of r.cursor.firstBatch) perShard[d.shard] = d.count;
  return Object.fromEntries(Object.entries(perShard).sort());
}

function replicaSetMembers(seed, user, password) {
  const status = command(admin(connectRs(seed, user, password)), {replSetGetStatus: 1});
  return status.members.map((m) => ({host: m.name, state: m.stateStr}));
}

function earlierResults() {
  return (env.MONGO_INIT_RESULTS || "").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
}

function stepReport(params) {
  const user = env.MONGO_ADMIN_USER || "admin";
  const password = secret("MONGO_ADMIN_PASSWORD");
  authenticateLocal(user, password);
  const coll = db.getSiblingDB(params.db).getCollection(params.collection);
  const replicaSets = {};
  for (const seed of [params.config_rs, ...params.shard_rs]) {
    replicaSets[seedParts(seed).rs] = replicaSetMembers(seed, user, password);
  }
  return {
    ns: `${params.db}.${params.collection}`,
    documents: {total: coll.countDocuments({}), per_shard: documentsPerShard(params)},
    replica_sets: replicaSets,
    steps: earlierResults(),
  };
}

const STEPS = {
  "replica-set": stepReplicaSet,
  "admin-user": stepAdminUser,
  cluster: stepCluster,
  fill: stepFill,
  report: stepReport,
};

function main() {
  const step = env.MONGO_INIT_STEP;
  try {
    if (!Object.hasOwn(STEPS, step || "")) {
      fail(`MONGO_INIT_STEP must be one of ${Object.keys(STEPS).join(", ")}, got ${JSON.stringify(step)}`);
    }
    const result = STEPS[step](parseParams(step));
    print(JSON.stringify({step, ...result}));
  } catch (e) {
    print(JSON.stringify({step: step || null, error: e.message}));
    quit(2);
  }
}

main();
