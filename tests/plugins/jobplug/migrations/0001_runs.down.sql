DROP TABLE IF EXISTS jobplug_runs;
