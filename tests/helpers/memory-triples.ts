/**
 * Sanity triples for semantic memory: a query, a paraphrase of the fact it asks about (few words in
 * common) and a distractor (shares the query's words, means something else). Our own wording. Used by
 * tests/runtime/memory-sanity.test.ts and bench/memory.mjs.
 */
export interface Triple {
  query: string;
  paraphrase: string;
  distractor: string;
}

export const TRIPLES: readonly Triple[] = [
  {
    query: 'What is my dog called?',
    paraphrase: 'The family puppy goes by the name Biscuit.',
    distractor: 'Hot dog stands are called food carts in some cities.',
  },
  {
    query: 'When is my flight to Lisbon?',
    paraphrase: 'The plane to Portugal departs on the 14th of March at 7 am.',
    distractor: 'Lisbon has many old trams and steep streets.',
  },
  { query: 'Which food am I allergic to?', paraphrase: 'Eating peanuts gives me a severe reaction.', distractor: 'The food court opens at ten every morning.' },
  { query: 'Where do I work?', paraphrase: 'My employer is a small bakery on Elm Street.', distractor: 'The road works near the station will last a week.' },
  { query: 'What car do I drive?', paraphrase: 'I get around in an old blue Volvo estate.', distractor: 'Drive safely when the roads are icy.' },
  {
    query: 'What is my favourite colour?',
    paraphrase: 'I like green more than any other shade.',
    distractor: 'The favourite to win the race is a young horse.',
  },
  { query: 'How old is my daughter?', paraphrase: 'My girl turned seven last spring.', distractor: 'The old town hall was built in 1820.' },
  { query: 'What language am I learning?', paraphrase: 'I take Japanese lessons twice a week.', distractor: 'Machine learning needs a lot of data.' },
  {
    query: 'Which team do I support?',
    paraphrase: 'I am a lifelong fan of the Glasgow football club Celtic.',
    distractor: 'The support team answers tickets within a day.',
  },
  {
    query: 'What is my wifi password?',
    paraphrase: 'The home network key is written on the router: sunflower42.',
    distractor: 'Passwords should be changed after a data breach.',
  },
  {
    query: 'Who is my doctor?',
    paraphrase: 'My GP is Dr. Amelia Hart at the Riverside practice.',
    distractor: 'Doctor Who is a long running television series.',
  },
  { query: 'What time do I wake up?', paraphrase: 'My alarm rings at half past six every weekday.', distractor: 'Time zones make meeting planning hard.' },
  { query: 'What instrument do I play?', paraphrase: 'I have played the cello since I was a teenager.', distractor: 'The play at the theatre was sold out.' },
  {
    query: 'Where did I go on holiday last year?',
    paraphrase: 'Last summer we spent two weeks hiking in Norway.',
    distractor: 'The bank holiday means the office is closed on Monday.',
  },
  { query: 'What is my blood type?', paraphrase: 'My medical records list me as O negative.', distractor: 'This type of printer uses laser toner.' },
  { query: 'Do I drink coffee?', paraphrase: 'I gave up caffeine and only have herbal tea now.', distractor: 'The coffee table is made of oak.' },
  {
    query: "What is my partner's birthday?",
    paraphrase: 'My wife was born on the 3rd of October.',
    distractor: 'The business partner signed the contract yesterday.',
  },
  { query: 'Which city do I live in?', paraphrase: 'Home for me is a flat in central Manchester.', distractor: 'Live music plays in the park every Friday.' },
  { query: 'What is my shoe size?', paraphrase: 'I wear size 43 trainers.', distractor: 'One size does not fit all in software design.' },
  {
    query: 'What do I want for my birthday?',
    paraphrase: 'A new pair of hiking boots would be the perfect present for me.',
    distractor: 'I want the report finished by Friday.',
  },
  {
    query: 'How do I get to the office?',
    paraphrase: 'I commute by bicycle along the canal every day.',
    distractor: 'The office printer is out of paper again.',
  },
  { query: 'What is the name of my cat?', paraphrase: 'Our tabby kitten is called Miso.', distractor: 'The name of the company changed in 2019.' },
];
