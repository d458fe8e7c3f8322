package superops

// The documents this client sends; each one must validate against
// superopstest/testdata/superops-msp.graphql. Association fields (client,
// requester) are JSON scalars, selected as leaves.

const ticketFields = `ticketId displayId subject status client createdTime updatedTime`

const qTicketList = `query getTicketList($input: ListInfoInput!) {
  getTicketList(input: $input) { tickets { ` + ticketFields + ` } listInfo { page pageSize hasMore totalCount } }
}`

const qTicket = `query getTicket($input: TicketIdentifierInput!) {
  getTicket(input: $input) { ` + ticketFields + ` }
}`

const qNotes = `query getTicketNoteList($input: TicketIdentifierInput!) {
  getTicketNoteList(input: $input) { noteId content privacyType }
}`

const qConversations = `query getTicketConversationList($input: TicketIdentifierInput!) {
  getTicketConversationList(input: $input) { conversationId content type }
}`

const qClient = `query getClient($input: ClientIdentifierInput!) {
  getClient(input: $input) { accountId name }
}`

const qClientUsers = `query getClientUserList($input: GetClientUserListInput!) {
  getClientUserList(input: $input) { userList { userId email client } listInfo { hasMore } }
}`

const mCreateTicket = `mutation createTicket($input: CreateTicketInput!) {
  createTicket(input: $input) { ` + ticketFields + ` }
}`

const mUpdateTicket = `mutation updateTicket($input: UpdateTicketInput!) {
  updateTicket(input: $input) { ticketId status }
}`

const mCreateNote = `mutation createTicketNote($input: CreateTicketNoteInput!) {
  createTicketNote(input: $input) { noteId privacyType }
}`

const qFields = `query getAllFields($input: String!) {
  getAllFields(input: $input) { columnName options { value } }
}`
