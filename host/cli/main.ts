// The iodict command-line tool (see `iodict --help`).
console.error('iodict: the command-line tool is being built');
process.exit(2);
