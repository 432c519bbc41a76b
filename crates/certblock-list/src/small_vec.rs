//! Reading the short arrays of an entry (`incidents`, `evidence`) without over-allocating.
//!
//! serde's own `Vec` reader starts empty and grows by doubling, so an entry with one evidence
//! record (almost every entry) ends up with room for four: at a million entries that is over a
//! gigabyte of untouched memory the kernel still has to hand out and zero. These readers start
//! with room for exactly one element and grow only when a second arrives.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{Deserializer, SeqAccess, Visitor};

/// `deserialize_with` for a `Vec<T>` that usually holds one element.
pub(crate) fn deserialize<'de, T, D>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    /// Collects the sequence, starting with room for one element.
    struct OneFirst<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for OneFirst<T> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array")
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1).clamp(1, 64));
            while let Some(item) = seq.next_element()? {
                out.push(item);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_seq(OneFirst(PhantomData))
}

#[cfg(test)]
mod tests {
    /// A struct with one field read by [`super::deserialize`].
    #[derive(serde::Deserialize, Debug)]
    struct Holder {
        #[serde(deserialize_with = "super::deserialize")]
        items: Vec<String>,
    }

    #[test]
    fn one_element_takes_room_for_one_and_more_still_read_in_order() {
        let one: Holder = serde_json::from_str(r#"{"items": ["a"]}"#).unwrap();
        assert_eq!(one.items, ["a"]);
        assert_eq!(one.items.capacity(), 1);
        let many: Holder = serde_json::from_str(r#"{"items": ["a", "b", "c"]}"#).unwrap();
        assert_eq!(many.items, ["a", "b", "c"]);
        let none: Holder = serde_json::from_str(r#"{"items": []}"#).unwrap();
        assert!(none.items.is_empty());
        let wrong = serde_json::from_str::<Holder>(r#"{"items": "a"}"#).unwrap_err();
        assert!(wrong.to_string().contains("an array"), "{wrong}");
    }
}
