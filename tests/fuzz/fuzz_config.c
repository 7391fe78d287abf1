/*
 * fuzz_config.c - the configuration reader: any JSON document applied over
 * the defaults, as slated reads its config file (unknown keys and bad
 * values refused with a reason, nothing else).
 */
#include "base/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *root = json_loadb((const char *)data, size, 0, NULL);
	if (!root)
		return 0;
	slate_config c;
	slate_config_defaults(&c);
	char err[512];
	(void)slate_config_apply_json(&c, root, err, sizeof(err));
	(void)slate_config_plugin_enabled(&c, "clips");
	slate_config_release(&c);
	json_decref(root);
	return 0;
}
