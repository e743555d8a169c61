import { openStore } from '../src/store/index.js';
import { loadCorpus, loadEvents, alertgroupCount } from './corpus.js';
const store = await openStore(process.argv[2]);
const t = performance.now();
await loadCorpus(store, 1, Number(process.argv[3]), (d) => console.log(d, ((d * 10) / ((performance.now() - t) / 1000)).toFixed(0), 'alerts/s'));
await loadEvents(store, 100, 20);
console.log(await alertgroupCount(store));
await store.close();
