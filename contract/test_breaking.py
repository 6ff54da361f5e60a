"""Tests for contract/breaking.py on small hand-written OpenAPI 3.1 documents.

    python3 -m unittest contract/test_breaking.py
    python3 -m unittest discover -s contract -p 'test_*.py'

Each test takes the same small baseline, changes one thing, and checks what is reported:
ERRORs for breaking changes, nothing (or a WARNING) for additive ones.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import breaking  # noqa: E402

JSON = "application/json"


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_body(schema: dict) -> dict:
    return {"content": {JSON: {"schema": schema}}}


PROBLEM = {"description": "", "content": {"application/problem+json": {"schema": ref("Problem")}}}


def baseline() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "fixture", "version": "1.0.0"},
        "paths": {
            "/items": {
                "get": {
                    "operationId": "list_items",
                    "parameters": [
                        {"name": "limit", "in": "query", "required": False,
                         "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 100}},
                        {"name": "status", "in": "query", "required": False, "schema": ref("Status")},
                        {"name": "X-Trace", "in": "header", "required": False, "schema": {"type": "string"}},
                    ],
                    "responses": {"200": {"description": "", **json_body(ref("ItemList"))}, "400": PROBLEM},
                },
                "post": {
                    "operationId": "create_item",
                    "security": [{"bearer": []}],
                    "requestBody": {"required": True, **json_body(ref("ItemInput"))},
                    "responses": {
                        "201": {"description": "", "headers": {"Location": {"schema": {"type": "string"}}},
                                **json_body(ref("Item"))},
                        "422": PROBLEM,
                    },
                },
            },
            "/items/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "get": {"operationId": "get_item", "responses": {"200": {"description": "", **json_body(ref("Item"))}, "404": PROBLEM}},
                "delete": {"operationId": "delete_item", "security": [{"bearer": []}], "responses": {"204": {"description": ""}}},
            },
            "/admin/items/{id}": {
                "get": {
                    "operationId": "get_item_as_admin",
                    "security": [{"bearer": []}],
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "", **json_body(ref("AdminItem"))}},
                },
            },
            "/notes": {
                "post": {
                    "operationId": "create_note",
                    "requestBody": {"required": False, **json_body(ref("LooseInput"))},
                    "responses": {"201": {"description": "", **json_body({"type": "object", "properties": {"ok": {"type": "boolean"}}})}},
                },
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}},
                "Status": {"type": "string", "enum": ["draft", "published"]},
                "Owner": {"type": "object", "required": ["name"],
                          "properties": {"name": {"type": "string"}, "email": {"type": ["string", "null"]}}},
                "Circle": {"type": "object", "required": ["radius"], "properties": {"radius": {"type": "number"}}},
                "Square": {"type": "object", "required": ["side"], "properties": {"side": {"type": "number"}}},
                "Item": {
                    "type": "object",
                    "required": ["id", "name", "status", "tags", "price", "created_at"],
                    "properties": {
                        "id": {"type": "integer", "format": "int64"},
                        "name": {"type": "string"},
                        "status": ref("Status"),
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "price": {"type": "integer"},
                        "created_at": {"type": "string", "format": "date-time"},
                        "note": {"type": ["string", "null"]},
                        "owner": {"oneOf": [{"type": "null"}, ref("Owner")]},
                        "shape": {"oneOf": [ref("Circle"), ref("Square")]},
                        "parent": {"oneOf": [{"type": "null"}, ref("Item")]},
                    },
                },
                "ItemList": {"type": "object", "required": ["items", "total"],
                             "properties": {"items": {"type": "array", "items": ref("Item")}, "total": {"type": "integer"}}},
                "AdminItem": {"allOf": [ref("Item"), {"type": "object", "required": ["audit"],
                                                       "properties": {"audit": {"type": "string"}}}]},
                "ItemInput": {
                    "type": "object",
                    "required": ["name"],
                    "additionalProperties": False,
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 100},
                        "status": ref("Status"),
                        "quantity": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 1000},
                        "price": {"type": "number"},
                        "code": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
                        "starts_at": {"type": "string", "format": "date-time"},
                        "note": {"type": ["string", "null"]},
                        "owner": {"oneOf": [{"type": "null"}, ref("Owner")]},
                        "shape": {"oneOf": [ref("Circle"), ref("Square")]},
                    },
                },
                "LooseInput": {"type": "object", "properties": {"text": {"type": "string"}, "colour": {"type": "string"}}},
            },
        },
    }


S = "/components/schemas"


class Base(unittest.TestCase):
    def check(self, mutate, *, errors=(), warnings=(), exact=False):
        """Applies `mutate` to a copy of the baseline, compares, and checks that every
        (location substring, message substring) pair in `errors`/`warnings` is reported
        at that level. Without errors expected, no ERROR at all may be reported."""
        base = baseline()
        current = copy.deepcopy(base)
        mutate(current)
        findings = breaking.compare(base, current)
        text = "\n".join(map(str, findings)) or "(nothing)"
        for level, wanted in (("ERROR", errors), ("WARNING", warnings)):
            for location, message in wanted:
                self.assertTrue(
                    any(f.level == level and location in f.location and message in f.message for f in findings),
                    f"expected {level} at ...{location}: ...{message}... in:\n{text}",
                )
        if not errors:
            self.assertFalse([f for f in findings if f.level == "ERROR"], f"unexpected errors:\n{text}")
        if exact:
            self.assertEqual(len(findings), len(errors) + len(warnings), text)
        return findings

    @staticmethod
    def schema(doc, name):
        return doc["components"]["schemas"][name]


def op(doc, path, method):
    return doc["paths"][path][method]


class Identity(Base):
    def test_same_document_reports_nothing(self):
        self.assertEqual(breaking.compare(baseline(), baseline()), [])


class PathsAndOperations(Base):
    def test_removed_path(self):
        self.check(lambda d: d["paths"].pop("/notes"), errors=[("/paths/~1notes", "path removed")], exact=True)

    def test_removed_operation(self):
        self.check(lambda d: d["paths"]["/items/{id}"].pop("delete"),
                   errors=[("/paths/~1items~1{id}/delete", "operation removed (delete_item)")], exact=True)

    def test_changed_operation_id(self):
        def mutate(d):
            op(d, "/items", "get")["operationId"] = "list_all_items"
        self.check(mutate, errors=[("/paths/~1items/get/operationId", "'list_items' to 'list_all_items'")], exact=True)

    def test_removed_operation_id(self):
        self.check(lambda d: op(d, "/items", "get").pop("operationId"), errors=[("/operationId", "to None")])

    def test_renamed_path_parameter_is_the_same_path_but_breaking(self):
        def mutate(d):
            item = d["paths"].pop("/items/{id}")
            item["parameters"][0]["name"] = "item_id"
            d["paths"]["/items/{item_id}"] = item
        findings = self.check(mutate, errors=[("/paths/~1items~1{item_id}/get", "path parameter {id} renamed to {item_id}")])
        self.assertFalse([f for f in findings if "path removed" in f.message])

    def test_public_operation_now_needs_authentication(self):
        def mutate(d):
            op(d, "/items", "get")["security"] = [{"bearer": []}]
        self.check(mutate, errors=[("/paths/~1items/get/security", "now requires authentication")])

    def test_global_security_applies_to_operations_without_their_own(self):
        self.check(lambda d: d.__setitem__("security", [{"bearer": []}]),
                   errors=[("/paths/~1items/get/security", "now requires authentication"),
                           ("/paths/~1notes/post/security", "now requires authentication")])

    def test_additive_paths_operations_and_security_removal(self):
        def mutate(d):
            d["paths"]["/things"] = {"get": {"operationId": "list_things", "responses": {"200": {"description": ""}}}}
            d["paths"]["/notes"]["get"] = {"operationId": "list_notes", "responses": {"200": {"description": ""}}}
            op(d, "/items/{id}", "delete").pop("security")
        self.check(mutate, exact=True)


class Parameters(Base):
    def test_new_required_parameter(self):
        def mutate(d):
            op(d, "/items", "get")["parameters"].append({"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"}})
        self.check(mutate, errors=[("/paths/~1items/get/parameters/query/tenant", "new required parameter")], exact=True)

    def test_new_required_header_parameter(self):
        def mutate(d):
            op(d, "/items/{id}", "get")["parameters"] = [{"name": "X-Manage-Token", "in": "header", "required": True, "schema": {"type": "string"}}]
        self.check(mutate, errors=[("/parameters/header/X-Manage-Token", "new required parameter")])

    def test_parameter_made_required(self):
        def mutate(d):
            op(d, "/items", "get")["parameters"][0]["required"] = True
        self.check(mutate, errors=[("/parameters/query/limit", "optional parameter is now required")], exact=True)

    def test_parameter_schema_narrowed(self):
        def mutate(d):
            op(d, "/items", "get")["parameters"][0]["schema"]["maximum"] = 50
        self.check(mutate, errors=[("/parameters/query/limit/schema", "maximum lowered from 100 to 50")], exact=True)

    def test_parameter_enum_value_removed_through_ref(self):
        self.check(lambda d: self.schema(d, "Status")["enum"].remove("draft"),
                   errors=[("/paths/~1items/get/parameters/query/status/schema", "request enum value(s) removed: ['draft']")])

    def test_header_names_match_whatever_their_case(self):
        def mutate(d):
            op(d, "/items", "get")["parameters"][2]["name"] = "x-trace"
        self.check(mutate, exact=True)

    def test_removed_parameter_is_a_warning(self):
        self.check(lambda d: op(d, "/items", "get")["parameters"].pop(2),
                   warnings=[("/parameters/header/X-Trace", "parameter removed")], exact=True)

    def test_additive_parameter_changes(self):
        def mutate(d):
            params = op(d, "/items", "get")["parameters"]
            params.append({"name": "q", "in": "query", "required": False, "schema": {"type": "string"}})
            params[0]["schema"]["maximum"] = 500
            params[0]["schema"].pop("minimum")
            self.schema(d, "Status")["enum"].append("archived")  # a new value clients may send
        # The response side of Status gets a warning for the new value; nothing breaks.
        findings = self.check(mutate)
        self.assertTrue(all(f.level == "WARNING" and "new response enum value" in f.message for f in findings), findings)

    def test_required_parameter_made_optional_is_fine(self):
        def mutate(d):
            d["paths"]["/items/{id}"]["parameters"][0]["required"] = False
        self.check(mutate, exact=True)


class RequestBodies(Base):
    LOC = "/paths/~1items/post/requestBody/content/application~1json/schema"

    def prop(self, d, name):
        return self.schema(d, "ItemInput")["properties"][name]

    def test_new_required_request_field(self):
        def mutate(d):
            s = self.schema(d, "ItemInput")
            s["properties"]["borough"] = {"type": "string"}
            s["required"].append("borough")
        self.check(mutate, errors=[(self.LOC + "/properties/borough", "new required request field")], exact=True)

    def test_request_field_made_required(self):
        self.check(lambda d: self.schema(d, "ItemInput")["required"].append("price"),
                   errors=[(self.LOC + "/properties/price", "request field is now required")], exact=True)

    def test_removed_request_field_when_additional_properties_are_forbidden(self):
        self.check(lambda d: self.schema(d, "ItemInput")["properties"].pop("code"),
                   errors=[(self.LOC + "/properties/code", "forbids additional properties")], exact=True)

    def test_removed_request_field_when_additional_properties_are_allowed_is_a_warning(self):
        self.check(lambda d: self.schema(d, "LooseInput")["properties"].pop("colour"),
                   warnings=[("/paths/~1notes/post/requestBody/content/application~1json/schema/properties/colour", "ignored")],
                   exact=True)

    def test_additional_properties_newly_forbidden(self):
        self.check(lambda d: self.schema(d, "LooseInput").__setitem__("additionalProperties", False),
                   errors=[("/paths/~1notes/post/requestBody", "additional properties are now forbidden")])

    def test_request_type_list_shrank(self):
        def mutate(d):
            self.prop(d, "note")["type"] = "string"
        self.check(mutate, errors=[(self.LOC + "/properties/note", "null is no longer accepted")], exact=True)

    def test_request_nullable_wrapper_removed(self):
        def mutate(d):
            self.schema(d, "ItemInput")["properties"]["owner"] = ref("Owner")
        self.check(mutate, errors=[(self.LOC + "/properties/owner", "null is no longer accepted")], exact=True)

    def test_request_number_to_integer(self):
        def mutate(d):
            self.prop(d, "price")["type"] = "integer"
        self.check(mutate, errors=[(self.LOC + "/properties/price", "no longer accepts [number]")], exact=True)

    def test_request_integer_to_number_is_fine(self):
        def mutate(d):
            self.prop(d, "quantity")["type"] = "number"
        self.check(mutate, exact=True)

    def test_request_format_changed(self):
        def mutate(d):
            self.prop(d, "starts_at")["format"] = "date"
        self.check(mutate, errors=[(self.LOC + "/properties/starts_at", "format changed from 'date-time'")], exact=True)

    def test_request_format_added(self):
        def mutate(d):
            self.prop(d, "code")["format"] = "uuid"
        self.check(mutate, errors=[(self.LOC + "/properties/code", "request format added: now 'uuid'")], exact=True)

    def test_request_format_widened_is_fine(self):
        def mutate(d):
            self.prop(d, "quantity")["format"] = "int64"
        self.check(mutate, exact=True)

    def test_request_max_length_lowered_and_added(self):
        def mutate(d):
            self.prop(d, "name")["maxLength"] = 50
            self.prop(d, "code")["maxLength"] = 8
        self.check(mutate, errors=[(self.LOC + "/properties/name", "maxLength lowered from 100 to 50"),
                                   (self.LOC + "/properties/code", "maxLength 8 added")], exact=True)

    def test_request_min_length_raised(self):
        def mutate(d):
            self.prop(d, "name")["minLength"] = 3
        self.check(mutate, errors=[(self.LOC + "/properties/name", "minLength raised from 1 to 3")], exact=True)

    def test_request_maximum_lowered_and_minimum_raised(self):
        def mutate(d):
            self.prop(d, "quantity").update(minimum=1, maximum=999)
        self.check(mutate, errors=[(self.LOC + "/properties/quantity", "maximum lowered from 1000 to 999"),
                                   (self.LOC + "/properties/quantity", "minimum raised from 0 to 1")], exact=True)

    def test_request_exclusive_bounds_and_max_items(self):
        def mutate(d):
            self.prop(d, "price")["exclusiveMinimum"] = 0
            self.prop(d, "tags")["maxItems"] = 5
        self.check(mutate, errors=[(self.LOC + "/properties/price", "exclusiveMinimum 0 added"),
                                   (self.LOC + "/properties/tags", "maxItems lowered from 10 to 5")], exact=True)

    def test_request_pattern_added_and_changed(self):
        def mutate(d):
            self.prop(d, "code")["pattern"] = "^[a-z]+$"
        self.check(mutate, errors=[(self.LOC + "/properties/code", "request pattern added")], exact=True)

        def change(d):
            self.prop(d, "name")["pattern"] = "^.+$"
        base = baseline()
        self.prop(base, "name")["pattern"] = "^.*$"
        current = copy.deepcopy(base)
        change(current)
        findings = breaking.compare(base, current)
        self.assertEqual([f.message for f in findings], ["request pattern changed from '^.*$': now '^.+$' (in #/components/schemas/ItemInput)"])

    def test_request_multiple_of_and_unique_items(self):
        def mutate(d):
            self.prop(d, "quantity")["multipleOf"] = 5
            self.prop(d, "tags")["uniqueItems"] = True
        self.check(mutate, errors=[(self.LOC + "/properties/quantity", "multipleOf added"),
                                   (self.LOC + "/properties/tags", "must now be unique")], exact=True)

    def test_request_enum_value_removed(self):
        # Status is also in responses (removed there too): both sides are reported.
        self.check(lambda d: self.schema(d, "Status")["enum"].remove("published"),
                   errors=[(self.LOC + "/properties/status", "request enum value(s) removed: ['published']"),
                           ("/responses/201/content/application~1json/schema/properties/status", "response enum value(s) removed")])

    def test_request_enum_added_where_any_value_was_allowed(self):
        def mutate(d):
            self.prop(d, "code")["enum"] = ["a", "b"]
        self.check(mutate, errors=[(self.LOC + "/properties/code", "restricted to the enum")], exact=True)

    def test_request_nested_field_through_array_and_ref(self):
        def mutate(d):
            self.schema(d, "Owner")["required"].append("email")
        # Owner is in a request (ItemInput.owner) and in responses (Item.owner).
        self.check(mutate, errors=[(self.LOC + "/properties/owner/properties/email", "request field is now required")])

    def test_request_one_of_variant_removed(self):
        def mutate(d):
            self.prop(d, "shape")["oneOf"] = [ref("Circle")]
        self.check(mutate, errors=[(self.LOC + "/properties/shape", "removed from the request")])

    def test_request_one_of_variant_field_changed(self):
        self.check(lambda d: self.schema(d, "Circle")["properties"]["radius"].__setitem__("maximum", 10),
                   errors=[(self.LOC + "/properties/shape/oneOf/0/properties/radius", "maximum 10 added")])

    def test_request_body_made_required_and_required_body_added(self):
        def mutate(d):
            op(d, "/notes", "post")["requestBody"]["required"] = True
            op(d, "/items/{id}", "delete")["requestBody"] = {"required": True, **json_body(ref("LooseInput"))}
        self.check(mutate, errors=[("/paths/~1notes/post/requestBody", "the request body is now required"),
                                   ("/paths/~1items~1{id}/delete/requestBody", "a required request body was added")], exact=True)

    def test_request_media_type_removed(self):
        def mutate(d):
            body = op(d, "/items", "post")["requestBody"]
            body["content"] = {"application/merge-patch+json": body["content"][JSON]}
        self.check(mutate, errors=[("/paths/~1items/post/requestBody/content/application~1json", "request media type application/json removed")], exact=True)

    def test_request_body_removed_is_a_warning(self):
        self.check(lambda d: op(d, "/notes", "post").pop("requestBody"),
                   warnings=[("/paths/~1notes/post/requestBody", "request body removed")], exact=True)

    def test_additive_request_changes(self):
        def mutate(d):
            s = self.schema(d, "ItemInput")
            s["properties"]["borough"] = {"type": ["string", "null"]}  # optional field
            s["properties"]["name"].update(minLength=0, maxLength=200)  # looser
            s["properties"]["quantity"].pop("maximum")
            s["properties"]["code"]["type"] = ["string", "null"]  # widened
            s["properties"]["price"]["type"] = ["number", "string"]
            s["properties"]["shape"]["oneOf"].append({"type": "object", "properties": {"points": {"type": "array"}}})
            self.schema(d, "LooseInput")["properties"]["size"] = {"type": "integer"}
            op(d, "/items", "post")["requestBody"]["content"]["application/merge-patch+json"] = {"schema": ref("ItemInput")}
        self.check(mutate, exact=True)


class Responses(Base):
    LOC = "/paths/~1items~1{id}/get/responses/200/content/application~1json/schema"
    LIST = "/paths/~1items/get/responses/200/content/application~1json/schema/properties/items/items"
    ADMIN = "/paths/~1admin~1items~1{id}/get/responses/200/content/application~1json/schema"

    def item(self, d):
        return self.schema(d, "Item")["properties"]

    def test_removed_success_status(self):
        def mutate(d):
            responses = op(d, "/items", "post")["responses"]
            responses["200"] = responses.pop("201")
        self.check(mutate, errors=[("/paths/~1items/post/responses/201", "success response 201 removed")],
                   warnings=[("/paths/~1items/post/responses/200", "new success status 200")])

    def test_removed_error_status_is_fine(self):
        self.check(lambda d: op(d, "/items", "get")["responses"].pop("400"), exact=True)

    def test_new_error_status_is_fine(self):
        self.check(lambda d: op(d, "/items", "get")["responses"].__setitem__("503", PROBLEM), exact=True)

    def test_removed_success_media_type(self):
        def mutate(d):
            content = op(d, "/items/{id}", "get")["responses"]["200"]["content"]
            content["application/ld+json"] = content.pop(JSON)
        self.check(mutate, errors=[("/responses/200/content/application~1json", "response media type application/json removed")], exact=True)

    def test_removed_response_header(self):
        self.check(lambda d: op(d, "/items", "post")["responses"]["201"].pop("headers"),
                   errors=[("/paths/~1items/post/responses/201/headers/Location", "response header Location removed")], exact=True)

    def test_removed_response_field(self):
        findings = self.check(lambda d: self.item(d).pop("created_at"),
                              errors=[(self.LOC + "/properties/created_at", "response field removed (in #/components/schemas/Item)"),
                                      (self.LIST + "/properties/created_at", "response field removed"),
                                      (self.ADMIN + "/properties/created_at", "response field removed")])
        self.assertTrue(all(f.level == "ERROR" for f in findings))

    def test_removed_response_field_through_all_of(self):
        self.check(lambda d: self.schema(d, "AdminItem")["allOf"][1]["properties"].pop("audit"),
                   errors=[(self.ADMIN + "/properties/audit", "response field removed")], exact=True)

    def test_removed_response_field_through_one_of(self):
        self.check(lambda d: self.schema(d, "Square")["properties"].pop("side"),
                   errors=[(self.LOC + "/properties/shape/oneOf/1/properties/side", "response field removed")])

    def test_removed_response_field_through_nullable_wrapper(self):
        self.check(lambda d: self.schema(d, "Owner")["properties"].pop("email"),
                   errors=[(self.LOC + "/properties/owner/properties/email", "response field removed")])

    def test_recursive_schema_terminates_and_reports_inside(self):
        # Item.parent is an Item: compared once per pair of components on the way down,
        # so AdminItem (allOf Item) reports its own field and its parent's, then stops.
        findings = self.check(lambda d: self.item(d).pop("name"),
                              errors=[(self.LOC + "/properties/name", "response field removed"),
                                      (self.ADMIN + "/properties/name", "response field removed"),
                                      (self.ADMIN + "/properties/parent/properties/name", "response field removed")])
        self.assertEqual(len(findings), 5, findings)

    def test_response_field_no_longer_required(self):
        self.check(lambda d: self.schema(d, "Item")["required"].remove("price"),
                   errors=[(self.LOC + "/properties/price", "no longer required")])

    def test_response_type_widened_to_null(self):
        def mutate(d):
            self.item(d)["name"]["type"] = ["string", "null"]
        self.check(mutate, errors=[(self.LOC + "/properties/name", "may now be null")])

    def test_response_nullable_wrapper_added(self):
        def mutate(d):
            self.item(d)["status"] = {"oneOf": [{"type": "null"}, ref("Status")]}
        self.check(mutate, errors=[(self.LOC + "/properties/status", "may now be null")])

    def test_response_integer_to_number(self):
        def mutate(d):
            self.item(d)["price"]["type"] = "number"
        self.check(mutate, errors=[(self.LOC + "/properties/price", "may now be [number]")])

    def test_response_format_changed(self):
        def mutate(d):
            self.item(d)["created_at"]["format"] = "date"
        self.check(mutate, errors=[(self.LOC + "/properties/created_at", "response format changed to 'date'")])

    def test_response_enum_value_removed(self):
        # Status appears in requests too; the response finding is what this test is about.
        self.check(lambda d: self.schema(d, "Status")["enum"].remove("draft"),
                   errors=[(self.LOC + "/properties/status", "response enum value(s) removed: ['draft']")])

    def test_new_response_enum_value_is_a_warning(self):
        findings = self.check(lambda d: self.schema(d, "Status")["enum"].append("archived"),
                              warnings=[(self.LOC + "/properties/status", "new response enum value(s) ['archived']")])
        self.assertTrue(all(f.level == "WARNING" for f in findings))

    def test_new_response_one_of_variant_is_a_warning(self):
        def mutate(d):
            d["components"]["schemas"]["Triangle"] = {"type": "object", "properties": {"base": {"type": "number"}}}
            self.item(d)["shape"]["oneOf"].append(ref("Triangle"))
        findings = self.check(mutate, warnings=[(self.LOC + "/properties/shape/oneOf/2", "new oneOf variant #/components/schemas/Triangle")])
        self.assertTrue(all(f.level == "WARNING" for f in findings))

    def test_additive_response_changes(self):
        def mutate(d):
            self.item(d)["slug"] = {"type": "string"}  # new field
            self.schema(d, "Item")["required"].append("note")  # now always present
            self.item(d)["note"]["type"] = "string"  # narrowed: never null now
            self.item(d)["id"]["format"] = "int32"  # narrower numbers
            self.schema(d, "AdminItem")["allOf"][1]["properties"]["flags"] = {"type": "array", "items": {"type": "string"}}
        self.check(mutate, exact=True)

    def test_refactoring_into_components_is_not_a_change(self):
        def mutate(d):
            inline = copy.deepcopy(self.schema(d, "ItemList"))
            op(d, "/items", "get")["responses"]["200"]["content"][JSON]["schema"] = inline
            d["components"]["schemas"]["Alias"] = ref("Item")
            inline["properties"]["items"]["items"] = ref("Alias")
        self.check(mutate, exact=True)


class CommandLine(unittest.TestCase):
    def run_main(self, base, current):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name, doc in (("base.json", base), ("current.json", current)):
                path = os.path.join(tmp, name)
                with open(path, "w", encoding="utf-8") as f:
                    f.write(doc if isinstance(doc, str) else json.dumps(doc))
                paths.append(path)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                status = breaking.main(paths)
            return status, out.getvalue(), err.getvalue()

    def test_breaking_change_exits_1_with_one_line_per_finding(self):
        current = baseline()
        current["paths"].pop("/notes")
        op(current, "/items", "get")["operationId"] = "items"
        status, out, _ = self.run_main(baseline(), current)
        self.assertEqual(status, 1)
        lines = out.splitlines()
        self.assertIn("ERROR /paths/~1notes: path removed", lines)
        self.assertIn("ERROR /paths/~1items/get/operationId: operationId changed from 'list_items' to 'items': "
                      "generated clients' method names change", lines)
        self.assertTrue(lines[-1].startswith("2 breaking change(s), 0 warning(s)"), lines[-1])

    def test_warnings_only_exit_0(self):
        current = baseline()
        current["components"]["schemas"]["Status"]["enum"].append("archived")
        status, out, _ = self.run_main(baseline(), current)
        self.assertEqual(status, 0, out)
        self.assertIn("WARNING", out)

    def test_unchanged_exits_0(self):
        status, out, _ = self.run_main(baseline(), baseline())
        self.assertEqual(status, 0)
        self.assertTrue(out.startswith("0 breaking change(s), 0 warning(s)"))

    def test_unusable_input_exits_2(self):
        status, _, err = self.run_main("{not json", baseline())
        self.assertEqual(status, 2)
        self.assertIn("breaking.py:", err)
        broken = baseline()
        op(broken, "/items", "get")["responses"]["200"]["content"][JSON]["schema"] = ref("Missing")
        status, _, err = self.run_main(baseline(), broken)
        self.assertEqual(status, 2)
        self.assertIn("unresolvable $ref", err)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            self.assertEqual(breaking.main(["only-one.json"]), 2)


if __name__ == "__main__":
    unittest.main()
