"""The bench's Python peers (bench/python.mjs): diskcache and persist-queue, driven over stdin/stdout.

One JSON request per line, one JSON reply per line. Requests:
  {"do": "versions"}                                        -> {"diskcache": "5.4.0", ...} (null: not installed)
  {"do": "open", "peer", "dir", "durability", "kind"}      -> {"handle": id}
  {"do": "run", "handle", "op", "args", "value"}           -> {"units": n, "us": µs the op took here}
  {"do": "openOp", "peer", "op", "dir", "durability", "key"} -> {"units": 1, "us": ...}
  {"do": "close", "handle"}                                -> {}
An operation does a whole sample's work, as bench/contenders.mjs describes; "us" is measured here, so
the pipe's round trip is not charged to the peer. Errors reply {"error": "..."}.
"""
import json
import sys
import time

try:
    import diskcache
except ImportError:
    diskcache = None
try:
    import persistqueue
except ImportError:
    persistqueue = None


class DiskcacheStore:
    """A diskcache Cache as the peer uses it; subclasses view it as an Index or a Deque."""

    def __init__(self, directory, durability):
        # WAL as diskcache sets it; FULL syncs every commit (the 'fsync' rows), NORMAL does not.
        self.cache = diskcache.Cache(directory, eviction_policy='none', size_limit=2**62,
                                     sqlite_synchronous=2 if durability == 'fsync' else 1)

    def close(self):
        self.cache.close()


class DiskcacheIndex(DiskcacheStore):
    def __init__(self, directory, durability):
        super().__init__(directory, durability)
        self.index = diskcache.Index.fromcache(self.cache)

    def fill(self, keys, value):
        self.setBatch([keys], value)
        return len(keys)

    def set(self, keys, value):
        for key in keys:
            self.index[key] = value
        return len(keys)

    def setBatch(self, batches, value):
        for keys in batches:
            with self.index.transact():
                for key in keys:
                    self.index[key] = value
        return len(batches)

    def get(self, keys, value):
        found = 0
        for key in keys:
            try:
                self.index[key]
                found += 1
            except KeyError:
                pass
        return found

    def has(self, keys, value):
        return sum(1 for key in keys if key in self.index)

    def delete(self, keys, value):
        for key in keys:
            del self.index[key]
        return len(keys)

    def keys(self, args, value):
        return sum(1 for _ in self.index)

    listKeys = keys

    def values(self, args, value):
        return sum(1 for _ in self.index.values())

    def popItem(self, count, value):
        for _ in range(count):
            self.index.popitem(last=False)
        return count


class DiskcacheDeque(DiskcacheStore):
    def __init__(self, directory, durability):
        super().__init__(directory, durability)
        self.deque = diskcache.Deque.fromcache(self.cache)

    def put(self, count, value):
        for _ in range(count):
            self.deque.append(value)
        return count

    def fillQueue(self, count, value):
        with self.deque.transact():
            return self.put(count, value)

    def putBatch(self, batches, value):
        for keys in batches:
            with self.deque.transact():
                for _ in keys:
                    self.deque.append(value)
        return len(batches)

    def queueGet(self, count, value):
        for _ in range(count):
            self.deque.popleft()
        return count

    def roundTrip(self, count, value):
        for _ in range(count):
            self.deque.append(value)
            self.deque.popleft()
        return count


class PersistQueue:
    """persistqueue.Queue (files, 'none' rows) or persistqueue.SQLiteQueue (SQLite, 'fsync' rows)."""

    def __init__(self, directory, durability):
        if durability == 'fsync':
            self.queue = persistqueue.SQLiteQueue(directory, auto_commit=True)
        else:
            # autosave: each get is saved at once (else a restart delivers it again).
            self.queue = persistqueue.Queue(directory, autosave=True)

    def close(self):
        pass

    def put(self, count, value):
        for _ in range(count):
            self.queue.put(value)
        return count

    fillQueue = put

    def queueGet(self, count, value):
        for _ in range(count):
            self.queue.get(block=False)
        return count

    def roundTrip(self, count, value):
        for _ in range(count):
            self.queue.put(value)
            self.queue.get(block=False)
        return count


STORES = {
    ('diskcache', 'dict'): DiskcacheIndex,
    ('diskcache', 'queue'): DiskcacheDeque,
    ('persist-queue', 'queue'): PersistQueue,
}


def versions():
    return {
        'python': sys.version.split()[0],
        'diskcache': diskcache.__version__ if diskcache else None,
        'persist-queue': persistqueue.__version__ if persistqueue else None,
    }


def timed(call):
    t0 = time.perf_counter_ns()
    units = call()
    return {'units': units, 'us': (time.perf_counter_ns() - t0) / 1e3}


def main():
    handles = {}
    for line in sys.stdin:
        request = json.loads(line)
        try:
            what = request['do']
            if what == 'versions':
                reply = versions()
            elif what == 'open':
                store = STORES[(request['peer'], request['kind'])](request['dir'], request['durability'])
                handles[id(store)] = store
                reply = {'handle': id(store)}
            elif what == 'run':
                store = handles[request['handle']]
                reply = timed(lambda: getattr(store, request['op'])(request['args'], request['value']))
            elif what == 'openOp':
                def open_op():
                    store = STORES[(request['peer'], 'dict')](request['dir'], request['durability'])
                    units = store.get([request['key']], None) if request['op'] == 'openGet' else store.keys(None, None)
                    store.close()
                    return units
                reply = timed(open_op)
            elif what == 'close':
                handles.pop(request['handle']).close()
                reply = {}
            else:
                raise ValueError(f'unknown request {what}')
        except Exception as error:  # reported to the bench, which fails the row loudly
            reply = {'error': f'{type(error).__name__}: {error}'}
        sys.stdout.write(json.dumps(reply) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
