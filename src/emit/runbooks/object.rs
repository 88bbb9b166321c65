//! The runbook context as template values, read in place.
//!
//! In: the structs of [`super::context`], each declared through [`template_struct!`], which
//! makes it a minijinja [`Object`]: a mapping whose keys are its field names, in declaration
//! order, and whose values are read from the struct when a template reads them. Nested structs
//! are shared (`Arc`) and lists are [`List`]s, so reading one hands out a reference rather than
//! a copy. Out: [`Field::value`], the template value of any field.
//!
//! A large system's context is hundreds of megabytes; serialising it into minijinja values
//! copied every string once more (another 200 MB at 10,000 routes) on the critical path of a
//! build. To a template nothing changes: a struct is a mapping, a list a sequence, an absent
//! option `none`, a misspelt field undefined (an error under strict undefined). A test below
//! holds every value to what serialising the same context gives.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};

/// A field a template can read.
pub trait Field {
    /// Its template value: a string, a number, a boolean, `none`, a mapping or a sequence.
    fn value(&self) -> Value;
}

impl Field for String {
    fn value(&self) -> Value {
        Value::from(self.as_str())
    }
}

/// Text that many parts of the context share, kept once.
pub type Text = Arc<str>;

/// Shared text reaches a template as the same string, without a copy.
impl Field for Text {
    fn value(&self) -> Value {
        Value::from(self.clone())
    }
}

macro_rules! plain_fields {
    ($($ty:ty),*) => {
        $(impl Field for $ty {
            fn value(&self) -> Value {
                Value::from(*self)
            }
        })*
    };
}

plain_fields!(bool, u32, u64, usize);

impl<T: Field> Field for Option<T> {
    fn value(&self) -> Value {
        self.as_ref().map_or_else(|| Value::from(()), Field::value)
    }
}

impl<T: Object + 'static> Field for Arc<T> {
    fn value(&self) -> Value {
        Value::from_dyn_object(self.clone())
    }
}

/// A list of the context: shared, read-only once built, a sequence to a template.
pub struct List<T>(Arc<Items<T>>);

/// The items of a [`List`]: the object a template iterates over.
struct Items<T>(Vec<T>);

impl<T> List<T> {
    pub fn new(items: Vec<T>) -> List<T> {
        List(Arc::new(Items(items)))
    }
}

impl<T> Clone for List<T> {
    fn clone(&self) -> Self {
        List(self.0.clone())
    }
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List::new(Vec::new())
    }
}

impl<T> Deref for List<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0.0
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(items: Vec<T>) -> Self {
        List::new(items)
    }
}

/// Lists of strings and numbers collect their items as they are.
impl<T: Field> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        List::new(iter.into_iter().collect())
    }
}

/// Lists of structs collect each struct shared, so a template reading an item takes a
/// reference to it.
impl<T: Object + 'static> FromIterator<T> for List<Arc<T>> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        List::new(iter.into_iter().map(Arc::new).collect())
    }
}

impl<T: fmt::Debug> fmt::Debug for List<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

impl<T: serde::Serialize> serde::Serialize for List<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<T: Field + fmt::Debug + Send + Sync + 'static> Object for Items<T> {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        self.0.get(key.as_usize()?).map(Field::value)
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Seq(self.0.len())
    }
}

impl<T: Field + fmt::Debug + Send + Sync + 'static> Field for List<T> {
    fn value(&self) -> Value {
        Value::from_dyn_object(self.0.clone())
    }
}

/// Declares a struct of the runbook context and makes it a template mapping of its fields:
/// the field list is written once, so a field cannot be added to the struct and forgotten by
/// the templates.
macro_rules! template_struct {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$field_meta:meta])* pub $field:ident : $ty:ty,)*
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$field_meta])* pub $field: $ty,)*
        }

        impl minijinja::value::Object for $name {
            fn get_value(self: &std::sync::Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
                self.get_value_by_str(key.as_str()?)
            }

            fn get_value_by_str(self: &std::sync::Arc<Self>, key: &str) -> Option<minijinja::Value> {
                match key {
                    $(stringify!($field) => Some($crate::emit::runbooks::object::Field::value(&self.$field)),)*
                    _ => None,
                }
            }

            fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
                minijinja::value::Enumerator::Str(&[$(stringify!($field)),*])
            }
        }
    };
}

pub(crate) use template_struct;

#[cfg(test)]
mod tests {
    use super::*;

    template_struct! {
        #[derive(Debug, serde::Serialize)]
        pub struct Inner {
            pub word: String,
            pub count: u32,
        }
    }

    template_struct! {
        #[derive(Debug, serde::Serialize)]
        pub struct Outer {
            pub inner: Arc<Inner>,
            pub missing: Option<Arc<Inner>>,
            pub items: List<Arc<Inner>>,
            pub words: List<String>,
            pub flag: bool,
        }
    }

    fn outer() -> Outer {
        Outer {
            inner: Arc::new(Inner { word: "a*b".into(), count: 3 }),
            missing: None,
            items: [Inner { word: "x".into(), count: 1 }, Inner { word: "y".into(), count: 2 }].into_iter().collect(),
            words: ["p", "q"].into_iter().map(String::from).collect(),
            flag: true,
        }
    }

    fn render(template: &str, value: Value) -> Result<String, minijinja::Error> {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.render_str(template, minijinja::context! { o => value })
    }

    /// What a template sees of the object is what it saw of the serialised struct.
    #[test]
    fn an_object_reads_as_its_serialised_struct() {
        let template = "{{ o.inner.word }} {{ o.inner.count + 1 }} {{ o.missing is none }} \
            {% for i in o.items %}{{ i.word }}{{ loop.index }}{% endfor %} {{ o.words | join(',') }} \
            {{ o.items | length }} {{ o.items | selectattr('count', 'equalto', 2) | map(attribute='word') | first }} \
            {% for k in o %}{{ k }};{% endfor %} {{ o | length }} {{ o.flag }} {{ o.items[1].count }} \
            {{ o.inner | items | list | length }}";
        let as_object = render(template, Value::from_object(outer())).expect("renders");
        let serialised = render(template, Value::from(minijinja::value::Serde(outer()))).expect("renders");
        assert_eq!(as_object, serialised);
        assert_eq!(as_object, "a*b 4 True x1y2 p,q 2 y inner;missing;items;words;flag; 5 True 2 2");
    }

    #[test]
    fn a_misspelt_field_is_undefined() {
        let err = render("{{ o.inner.wrod }}", Value::from_object(outer())).expect_err("strict undefined");
        assert_eq!(err.kind(), minijinja::ErrorKind::UndefinedError);
        let err = render("{{ o.words[5] }}", Value::from_object(outer())).expect_err("strict undefined");
        assert_eq!(err.kind(), minijinja::ErrorKind::UndefinedError);
    }
}
