/*
 * fuzz_sniff.c - the watch folder's file sniffer (the ingest plugin's
 * ingest_sniff.c): a dropped file's name and first bytes, both from an
 * editing bay. The first line of the input is the name.
 */
#include "fuzz.h"
#include "ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t name_len = nl ? (size_t)(nl - data) : size;
	char *name = fuzz_strdup(data, name_len);
	if (!name)
		return 0;
	const uint8_t *head = nl ? nl + 1 : data + size;
	size_t len = size - (size_t)(head - data);
	if (len > ING_SNIFF_BYTES)
		len = ING_SNIFF_BYTES;
	const char *type = NULL;
	char why[256];
	if (ing_sniff(name, head, len, &type, why, sizeof(why)) == 0 && !type)
		abort();
	free(name);
	return 0;
}
