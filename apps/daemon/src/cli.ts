process.stderr.write("not built yet: see README.md\n");
process.exitCode = 1;
