/*
 * test_backgrounds.c - the backgrounds plugin over real HTTP against a real
 * slated on a throwaway cluster: the entity contract (CRUD, required
 * fields, unique names, bad input that changes nothing), defaults, list
 * filters, episode links and usage, soft deletes hidden everywhere. The
 * tests are th_catalog's, as for every catalogue plugin; this table holds
 * what is the background's own, location and lighting_notes among them.
 */
#include <stdio.h>

#include "th_catalog.h"

int main(void)
{
	char long_location[300];
	snprintf(long_location, sizeof(long_location),
		 "{\"location\":\"%0256d\"}", 0);
	const th_bad_input bad[] = {
	    {"POST",
	     "{\"background_type\":\"virtual\",\"file_reference\":"
	     "\"a.jpg\"}",
	     false, "background_name", 0, NULL},
	    {"POST",
	     "{\"background_name\":\"n1\",\"file_reference\":\"a.jpg\"}", false,
	     "background_type", 0, NULL},
	    {"POST",
	     "{\"background_name\":\"n1\",\"background_type\":\"virtual\"}",
	     false, "file_reference", 0, NULL},
	    {"POST",
	     "{\"background_name\":null,\"background_type\":"
	     "\"virtual\",\"file_reference\":\"a.jpg\"}",
	     false, "background_name", 0, NULL},
	    {"PATCH", "{\"file_reference\":null}", true, "file_reference", 0,
	     NULL},
	    {"PATCH", "{\"background_type\":null}", true, "background_type", 0,
	     NULL},
	    /* a bad enum names the allowed values */
	    {"PATCH", "{\"approval_status\":\"maybe\"}", true,
	     "approval_status", 0, "draft, approved, rejected"},
	    {"PATCH", "{\"tags\":[1]}", true, "tags", 0, NULL},
	    {"PATCH", "{\"colour\":\"red\"}", true, "colour", 0, NULL},
	    {"PATCH", long_location, true, "location", 0, NULL},
	    {"GET", "approval_status=maybe", false, "approval_status", 0, NULL},
	    {"GET", "description=x", false, "description", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	const th_catalog c = {
	    .plugin = "backgrounds",
	    .show = "Backdrop Show",
	    .entity =
		{
		    .path = "/api/v1/backgrounds",
		    .id_key = "background_id",
		    .id_param = "backgroundId",
		    .table = "backgrounds",
		    .audit_type = "background",
		    .create_a = "{\"background_name\":\"Contract A\","
				"\"background_type\":\"studio\","
				"\"file_reference\":\"bg/a.jpg\",\"location\":"
				"\"Studio B\",\"tags\":[\"intro\"],"
				"\"description\":\"white on teal\"}",
		    .create_b = "{\"background_name\":\"Contract B\","
				"\"background_type\":\"virtual\","
				"\"file_reference\":\"bg/b.jpg\"}",
		    .patch = "{\"lighting_notes\":\"warm key, 3200K\","
			     "\"approval_status\":\"draft\"}",
		    .filter = "location=Studio%20B",
		    .sort = "background_name",
		    .unique = "background_name",
		    /* the seed's UNIQUE covers deleted rows too */
		    .unique_kept_deleted = true,
		    .bad = bad,
		},
	    .links =
		{
		    .path = "/api/v1/backgrounds",
		    .segment = "backgrounds",
		    .id_key = "background_id",
		    .id_param = "backgroundId",
		    .sub = "background",
		    .name_key = "background_name",
		    .create = "{\"background_type\":\"studio\","
			      "\"file_reference\":\"bg/x.jpg\"}",
		    .tables =
			(const char *const[]){"backgrounds",
					      "episode_backgrounds", NULL},
		},
	    .type_key = "background_type",
	    .other_type = "virtual",
	    .own_body = "{\"location\":\"Rooftop\"}",
	    .own_query = "location=Rooftop",
	};
	return th_catalog_main(&c);
}
