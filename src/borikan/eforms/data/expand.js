const src = require('fs').readFileSync(process.argv[3] || 'package/lib/index.js', 'utf8');
const start = src.indexOf('var preprocess = function');
const end = src.indexOf('var db = preprocess');
const preprocess = eval('(function(){' + src.slice(start, end) + '; return preprocess;})()');
const which = process.argv[2]; // usage: node expand.js db.json [path/to/lib/index.js]
const rows = preprocess(JSON.parse(require('fs').readFileSync(which, 'utf8')));
process.stdout.write(JSON.stringify(rows));
