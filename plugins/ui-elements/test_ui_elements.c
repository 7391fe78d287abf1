/*
 * test_ui_elements.c - the ui-elements plugin over real HTTP against a real
 * slated on a throwaway cluster: the entity contract (CRUD, required
 * fields, unique names, bad input that changes nothing), defaults, list
 * filters, episode links and usage, soft deletes hidden everywhere. The
 * tests are th_catalog's, as for every catalogue plugin; this table holds
 * what is the element's own, its version among them.
 */
#include "th_catalog.h"

int main(void)
{
	const th_bad_input bad[] = {
	    {"POST",
	     "{\"element_type\":\"logo\",\"file_reference\":"
	     "\"a.svg\"}",
	     false, "element_name", 0, NULL},
	    {"POST", "{\"element_name\":\"n1\",\"file_reference\":\"a.svg\"}",
	     false, "element_type", 0, NULL},
	    {"POST", "{\"element_name\":\"n1\",\"element_type\":\"logo\"}",
	     false, "file_reference", 0, NULL},
	    {"POST",
	     "{\"element_name\":null,\"element_type\":"
	     "\"logo\",\"file_reference\":\"a.svg\"}",
	     false, "element_name", 0, NULL},
	    {"PATCH", "{\"file_reference\":null}", true, "file_reference", 0,
	     NULL},
	    {"PATCH", "{\"element_type\":null}", true, "element_type", 0, NULL},
	    /* a bad enum names the allowed values */
	    {"PATCH", "{\"approval_status\":\"maybe\"}", true,
	     "approval_status", 0, "draft, approved, rejected"},
	    {"PATCH", "{\"tags\":[1]}", true, "tags", 0, NULL},
	    {"PATCH", "{\"colour\":\"red\"}", true, "colour", 0, NULL},
	    {"PATCH",
	     "{\"version\":\"123456789012345678901234567890"
	     "123456789012345678901\"}",
	     true, "version", 0, NULL},
	    {"GET", "approval_status=maybe", false, "approval_status", 0, NULL},
	    {"GET", "description=x", false, "description", 0, NULL},
	    {NULL, NULL, false, NULL, 0, NULL},
	};
	const th_catalog c = {
	    .plugin = "ui-elements",
	    .show = "Overlay Show",
	    .entity =
		{
		    .path = "/api/v1/ui-elements",
		    .id_key = "ui_element_id",
		    .id_param = "uiElementId",
		    .table = "ui_elements",
		    .audit_type = "ui_element",
		    .create_a = "{\"element_name\":\"Contract A\","
				"\"element_type\":\"lower_third\","
				"\"file_reference\":\"ui/a.svg\",\"version\":"
				"\"1.2\",\"tags\":[\"intro\"],\"description\":"
				"\"white on teal\"}",
		    .create_b = "{\"element_name\":\"Contract B\","
				"\"element_type\":\"logo\","
				"\"file_reference\":\"ui/b.svg\"}",
		    .patch = "{\"version\":\"1.3\",\"approval_status\":"
			     "\"draft\"}",
		    .filter = "version=1.2",
		    .sort = "element_name",
		    .unique = "element_name",
		    /* the seed's UNIQUE covers deleted rows too */
		    .unique_kept_deleted = true,
		    .bad = bad,
		},
	    .links =
		{
		    .path = "/api/v1/ui-elements",
		    .segment = "ui-elements",
		    .id_key = "ui_element_id",
		    .id_param = "uiElementId",
		    .sub = "ui_element",
		    .name_key = "element_name",
		    .create = "{\"element_type\":\"lower_third\","
			      "\"file_reference\":\"ui/x.svg\"}",
		    .tables =
			(const char *const[]){"ui_elements",
					      "episode_ui_elements", NULL},
		},
	    .type_key = "element_type",
	    .other_type = "logo",
	    .own_body = "{\"version\":\"2\"}",
	    .own_query = "version=2",
	};
	return th_catalog_main(&c);
}
