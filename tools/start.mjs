#!/usr/bin/env node
console.error("npm start is not wired yet: the service/apps issue fills it.");
process.exit(1);
