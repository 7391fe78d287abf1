DROP TABLE IF EXISTS testplug_widgets;
