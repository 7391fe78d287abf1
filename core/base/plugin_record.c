/* plugin_record.c - see plugin_record.h. */
#include "base/plugin_record.h"

const char *slate_plugin_state_name(slate_plugin_state s)
{
	switch (s) {
	case SLATE_PLUGIN_DISABLED:
		return "disabled";
	case SLATE_PLUGIN_MISSING:
		return "missing";
	case SLATE_PLUGIN_REFUSED:
		return "refused";
	case SLATE_PLUGIN_OPENED:
		return "opened";
	case SLATE_PLUGIN_LOADED:
		return "loaded";
	}
	return "unknown";
}
