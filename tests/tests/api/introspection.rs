//! Standard GraphQL tooling reads the schema (issue 12): graphql-js's `getIntrospectionQuery()`
//! — what GraphiQL, graphql-codegen, Apollo and Postman send first — passes the default limits,
//! and the schema built from its answer is the one in `schema.graphql`. Hostile queries stay
//! refused (see `http.rs` for depth and aliases).
use api_tests::spawn_demo;
use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{BaseType, Type, TypeKind, TypeSystemDefinition};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// graphql-js 16 `getIntrospectionQuery({ descriptions, specifiedByUrl, directiveIsRepeatable,
/// schemaDescription, inputValueDeprecation })`.
const INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    description
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives {
      name
      description
      isRepeatable
      locations
      args(includeDeprecated: true) { ...InputValue }
    }
  }
}
fragment FullType on __Type {
  kind
  name
  description
  specifiedByURL
  fields(includeDeprecated: true) {
    name
    description
    args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef }
    isDeprecated
    deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name
  description
  type { ...TypeRef }
  defaultValue
  isDeprecated
  deprecationReason
}
fragment TypeRef on __Type {
  kind
  name
  ofType {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
          ofType {
            kind
            name
            ofType {
              kind
              name
              ofType {
                kind
                name
                ofType { kind name }
              }
            }
          }
        }
      }
    }
  }
}
"#;

/// A type reference as SDL text, from introspection (`{kind, name, ofType}`).
fn type_ref(t: &Value) -> String {
    match t["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", type_ref(&t["ofType"])),
        "LIST" => format!("[{}]", type_ref(&t["ofType"])),
        _ => t["name"].as_str().unwrap().to_owned(),
    }
}

fn sdl_type(t: &Type) -> String {
    let base = match &t.base {
        BaseType::Named(n) => n.to_string(),
        BaseType::List(inner) => format!("[{}]", sdl_type(inner)),
    };
    if t.nullable { base } else { format!("{base}!") }
}

/// Every named type as `kind name` → its members: `field(arg: T, …): T`, input fields, enum
/// values, union members.
type Shape = BTreeMap<String, Vec<String>>;

fn from_introspection(schema: &Value) -> Shape {
    let mut out = Shape::new();
    for t in schema["types"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        // Introspection's own types and the built-in scalars are not printed in SDL.
        if name.starts_with("__") || ["Boolean", "Float", "ID", "Int", "String"].contains(&name) {
            continue;
        }
        let kind = t["kind"].as_str().unwrap();
        let mut members = vec![];
        for f in t["fields"].as_array().into_iter().flatten() {
            let args: Vec<String> = f["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| format!("{}: {}", a["name"].as_str().unwrap(), type_ref(&a["type"])))
                .collect();
            members.push(format!(
                "{}({}): {}",
                f["name"].as_str().unwrap(),
                args.join(", "),
                type_ref(&f["type"])
            ));
        }
        for f in t["inputFields"].as_array().into_iter().flatten() {
            members.push(format!(
                "{}: {}",
                f["name"].as_str().unwrap(),
                type_ref(&f["type"])
            ));
        }
        for v in t["enumValues"].as_array().into_iter().flatten() {
            members.push(v["name"].as_str().unwrap().to_owned());
        }
        for p in t["possibleTypes"].as_array().into_iter().flatten() {
            members.push(p["name"].as_str().unwrap().to_owned());
        }
        out.insert(format!("{kind} {name}"), members);
    }
    out
}

fn from_sdl(sdl: &str) -> Shape {
    let doc = parse_schema(sdl).expect("schema.graphql parses");
    let mut out = Shape::new();
    for def in doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let t = t.node;
        let name = t.name.node.to_string();
        let (kind, members) = match t.kind {
            TypeKind::Scalar => ("SCALAR", vec![]),
            TypeKind::Object(o) => ("OBJECT", fields(&o.fields)),
            TypeKind::Interface(i) => ("INTERFACE", fields(&i.fields)),
            TypeKind::Union(u) => (
                "UNION",
                u.members.iter().map(|m| m.node.to_string()).collect(),
            ),
            TypeKind::Enum(e) => (
                "ENUM",
                e.values
                    .iter()
                    .map(|v| v.node.value.node.to_string())
                    .collect(),
            ),
            TypeKind::InputObject(i) => (
                "INPUT_OBJECT",
                i.fields
                    .iter()
                    .map(|f| format!("{}: {}", f.node.name.node, sdl_type(&f.node.ty.node)))
                    .collect(),
            ),
        };
        out.insert(format!("{kind} {name}"), members);
    }
    out
}

fn fields(
    list: &[async_graphql::Positioned<async_graphql::parser::types::FieldDefinition>],
) -> Vec<String> {
    list.iter()
        .map(|f| {
            let args: Vec<String> = f
                .node
                .arguments
                .iter()
                .map(|a| format!("{}: {}", a.node.name.node, sdl_type(&a.node.ty.node)))
                .collect();
            format!(
                "{}({}): {}",
                f.node.name.node,
                args.join(", "),
                sdl_type(&f.node.ty.node)
            )
        })
        .collect()
}

#[tokio::test]
async fn the_standard_introspection_query_passes_the_default_limits_and_matches_schema_graphql() {
    let app = spawn_demo().await;
    let r = app
        .post_raw(
            None,
            json!({ "query": INTROSPECTION, "operationName": "IntrospectionQuery" }),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert!(body.get("errors").is_none(), "{}", body["errors"]);
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "Query");
    assert_eq!(schema["mutationType"]["name"], "Mutation");
    assert_eq!(schema["subscriptionType"]["name"], "Subscription");
    assert!(
        schema["directives"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "include"),
        "directives are described"
    );

    let built = from_introspection(schema);
    let checked_in = from_sdl(include_str!("../../../schema.graphql"));
    let only_built: Vec<_> = built
        .keys()
        .filter(|k| !checked_in.contains_key(*k))
        .collect();
    let only_sdl: Vec<_> = checked_in
        .keys()
        .filter(|k| !built.contains_key(*k))
        .collect();
    assert!(
        only_built.is_empty() && only_sdl.is_empty(),
        "types differ: only in the answer {only_built:?}, only in schema.graphql {only_sdl:?}"
    );
    for (name, members) in &checked_in {
        assert_eq!(&built[name], members, "{name}");
    }
    assert!(built.len() > 150, "{} types", built.len());
}

#[tokio::test]
async fn hostile_queries_stay_refused_beside_it() {
    let app = spawn_demo().await;
    let admin = app.login("admin@iberia.example").await;
    // Introspection that multiplies at every level.
    let bomb = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }";
    let r = app.gql(None, bomb, json!({})).await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    // A real query 40 levels deep.
    let mut q = String::from("{ me { customer { salesRep { ");
    for _ in 0..37 {
        q.push_str("associatedReps { ");
    }
    q.push_str("code");
    q.push_str(&" }".repeat(40));
    let r = app.gql(Some(&admin), &q, json!({})).await;
    assert_eq!(r.code(), "VALIDATION", "{}", r.0);
    // 1,000 aliases.
    let q = format!(
        "{{ {} }}",
        (0..1000)
            .map(|i| format!("a{i}: __typename"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert_eq!(app.gql(None, &q, json!({})).await.code(), "VALIDATION");
}
